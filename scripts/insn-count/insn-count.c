// SPDX-License-Identifier: GPL-2.0
/*
 * insn-count: a QEMU TCG plugin that counts the guest's executed instructions per
 * translated block, per phase of the benchmark.
 *
 *   qemu-system-x86_64 ... -plugin insn-count.so,control=FIFO,out=FILE
 *
 * Every block gets an inline counter (QEMU adds one each time the block runs: no call out of
 * the translated code). A thread reads lines from the FIFO CONTROL: "phase N" (0 < N < 64)
 * files what ran since the last line under phase N-before-it and starts phase N ("phase 0":
 * nothing is filed), "dump" writes the table. It is written at exit too, to OUT: a line per
 * block and phase, "phase vaddr insns executions" (hexadecimal address), for
 * scripts/guest-profile.py --insns to name by System.map and the module.
 *
 * Under -icount the vCPUs run in one thread, so the counters are exact; the control thread
 * reads them while they run, so a block that runs during the switch of phases may be filed
 * under either, which for phases of seconds does not matter.
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
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;
/* ---- end of the API ---- */

#define PHASES 64

/* A translated block: its counter, and what it counted per phase up to the last switch. */
struct block {
	uint64_t executions; /* added to by the translated code */
	uint64_t filed;      /* the part of executions already filed under a phase */
	uint64_t vaddr;
	uint32_t insns;
	uint64_t per_phase[PHASES];
	struct block *next;
};

static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *blocks;
static unsigned int phase;
static const char *control_path, *out_path;

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = calloc(1, sizeof(*b));

	(void)id;
	if (!b)
		abort(); /* QEMU would not get far either */
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = (uint32_t)qemu_plugin_tb_n_insns(tb);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->executions, 1);
	pthread_mutex_lock(&blocks_lock);
	b->next = blocks;
	blocks = b;
	pthread_mutex_unlock(&blocks_lock);
}

/* Files what every block ran since the last switch under the current phase. */
static void file_executions(void)
{
	pthread_mutex_lock(&blocks_lock);
	for (struct block *b = blocks; b; b = b->next) {
		uint64_t now = __atomic_load_n(&b->executions, __ATOMIC_RELAXED);

		if (phase)
			b->per_phase[phase] += now - b->filed;
		b->filed = now;
	}
	pthread_mutex_unlock(&blocks_lock);
}

/* Writes the table to OUT whole: to OUT.tmp first, then renamed. */
static void dump(void)
{
	char tmp[4096];
	FILE *out;

	snprintf(tmp, sizeof(tmp), "%s.tmp", out_path);
	out = fopen(tmp, "w");
	if (!out) {
		fprintf(stderr, "insn-count: cannot write %s: %s\n", tmp, strerror(errno));
		return;
	}
	pthread_mutex_lock(&blocks_lock);
	for (struct block *b = blocks; b; b = b->next)
		for (unsigned int p = 1; p < PHASES; p++)
			if (b->per_phase[p])
				fprintf(out, "%u %" PRIx64 " %u %" PRIu64 "\n", p, b->vaddr,
					b->insns, b->per_phase[p]);
	pthread_mutex_unlock(&blocks_lock);
	if (fclose(out) != 0 || rename(tmp, out_path) != 0)
		fprintf(stderr, "insn-count: cannot write %s: %s\n", out_path, strerror(errno));
}

static void *follow_control(void *unused)
{
	char line[128];
	FILE *control;

	(void)unused;
	/* Opened for reading and writing, so that it never sees an end of file. */
	control = fopen(control_path, "r+");
	if (!control) {
		fprintf(stderr, "insn-count: cannot open %s: %s\n", control_path, strerror(errno));
		return NULL;
	}
	while (fgets(line, sizeof(line), control)) {
		unsigned int next;

		if (sscanf(line, "phase %u", &next) == 1 && next < PHASES) {
			file_executions();
			phase = next;
		} else if (strncmp(line, "dump", 4) == 0) {
			file_executions();
			dump();
		} else {
			fprintf(stderr, "insn-count: unknown control line: %s", line);
		}
	}
	return NULL;
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
	(void)id;
	(void)userdata;
	file_executions();
	dump();
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
							       const qemu_info_t *info,
							       int argc, char **argv)
{
	pthread_t thread;

	(void)info;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "control=", 8) == 0)
			control_path = argv[i] + 8;
		else if (strncmp(argv[i], "out=", 4) == 0)
			out_path = argv[i] + 4;
	}
	if (!control_path || !out_path) {
		fprintf(stderr, "insn-count: want control=FIFO,out=FILE\n");
		return -1;
	}
	if (pthread_create(&thread, NULL, follow_control, NULL) != 0) {
		fprintf(stderr, "insn-count: no control thread\n");
		return -1;
	}
	pthread_detach(thread);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
