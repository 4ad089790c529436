// SPDX-License-Identifier: GPL-2.0
/*
 * ldisc_holder: a test fixture, not for use. It registers an empty line discipline named
 * "ldisc_holder" under the number given by its `number` parameter, so that the guest tests
 * can check that n_rust refuses a slot another module holds (and names the holder) instead
 * of silently taking it over, as tty_register_ldisc() would let it.
 */
#include <linux/module.h>
#include <linux/tty.h>
#include <linux/tty_ldisc.h>

static int number = 20;
module_param(number, int, 0444);
MODULE_PARM_DESC(number, "line discipline number to hold (1..30)");

static struct tty_ldisc_ops holder_ops = {
	.owner = THIS_MODULE,
	.name = "ldisc_holder",
};

static int __init holder_init(void)
{
	if (number <= N_TTY || number >= NR_LDISCS)
		return -EINVAL;
	holder_ops.num = number;
	return tty_register_ldisc(&holder_ops);
}

static void __exit holder_exit(void)
{
	tty_unregister_ldisc(&holder_ops);
}

module_init(holder_init);
module_exit(holder_exit);
MODULE_DESCRIPTION("n_rust test fixture: holds a line discipline number");
MODULE_LICENSE("GPL");
