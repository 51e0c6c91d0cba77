/* bench_cuts.h: gan-bench --cut-bits (bench_cuts.c). */
#ifndef GAN_BENCH_CUTS_H
#define GAN_BENCH_CUTS_H

#include "gan_idx.h"
#include "gan_train.h"

/** Prints, for every product a step of cfg's G and D runs on batches of
 *  cfg->batch rows (and the last one of an epoch of ds's images), the thread
 *  counts whose column cuts change its bits, and a summary; frees ds.
 *  Returns gan-bench's exit status (1 after a message). */
int bench_cut_bits(const gan_config *cfg, gan_dataset *ds);

#endif
