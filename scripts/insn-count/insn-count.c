// SPDX-License-Identifier: GPL-2.0
/*
 * insn-count: a QEMU TCG plugin that counts the guest's executed instructions per
 * translated block, in segments the guest marks itself.
 *
 *   qemu-system-x86_64 ... -plugin insn-count.so,out=FILE
 *
 * Every block gets an inline counter (QEMU adds one each time the block runs: no call out of
 * the translated code). The guest ends a segment by executing the marker instruction
 * `xchg %rbx,%rbx` (48 87 db, which does nothing and which compilers do not emit):
 * n_rust-bench executes it right before it prints each `bench-begin:` and `bench-progress:`
 * line, so segment k (from 0, before the first marker) is what ran between the console's
 * k-th and (k+1)-th such line, exactly. At each marker, and when QEMU exits, the plugin
 * appends to FILE a line per block that ran in the segment just ended: "segment vaddr insns
 * executions" (hexadecimal address), for scripts/guest-profile.py --insns to name by
 * System.map and the module; "end" after the last.
 *
 * Under -icount the vCPUs run in turn on one thread, so the counters are exact. (Without
 * it, the counts of another vCPU's block in flight may land in the next segment.)
 *
 * The plugin API (version 1, QEMU 7.2) is declared here, since Debian ships no header.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The subset of QEMU's plugin API used here (include/qemu/qemu-plugin.h, v1). ---- */
typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;
/* ---- end of the API ---- */

/* The marker: xchg %rbx,%rbx. */
static const unsigned char marker[] = { 0x48, 0x87, 0xdb };

/* A translated block: its counter, and the part of it already written out. */
struct block {
	uint64_t executions; /* added to by the translated code */
	uint64_t written;
	uint64_t vaddr;
	uint32_t insns;
	struct block *next;
};

static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *blocks;
static unsigned long segment;
static FILE *out;

/* Appends what every block ran since the last marker as segment `segment`, and begins the
 * next one. */
static void end_segment(void)
{
	pthread_mutex_lock(&blocks_lock);
	for (struct block *b = blocks; b; b = b->next) {
		uint64_t now = __atomic_load_n(&b->executions, __ATOMIC_RELAXED);

		if (now != b->written)
			fprintf(out, "%lu %" PRIx64 " %u %" PRIu64 "\n", segment, b->vaddr,
				b->insns, now - b->written);
		b->written = now;
	}
	segment++;
	pthread_mutex_unlock(&blocks_lock);
}

static void on_marker(unsigned int vcpu_index, void *userdata)
{
	(void)vcpu_index;
	(void)userdata;
	end_segment();
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = calloc(1, sizeof(*b));
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	if (!b)
		abort(); /* QEMU would not get far either */
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = (uint32_t)n;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->executions, 1);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (qemu_plugin_insn_size(insn) == sizeof(marker) &&
		    memcmp(qemu_plugin_insn_data(insn), marker, sizeof(marker)) == 0)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
	pthread_mutex_lock(&blocks_lock);
	b->next = blocks;
	blocks = b;
	pthread_mutex_unlock(&blocks_lock);
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
	(void)id;
	(void)userdata;
	end_segment();
	fputs("end\n", out);
	if (fclose(out) != 0)
		fprintf(stderr, "insn-count: cannot write the counts: %s\n", strerror(errno));
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
							       const qemu_info_t *info,
							       int argc, char **argv)
{
	const char *path = NULL;

	(void)info;
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "out=", 4) == 0)
			path = argv[i] + 4;
	if (!path) {
		fprintf(stderr, "insn-count: want out=FILE\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "insn-count: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
