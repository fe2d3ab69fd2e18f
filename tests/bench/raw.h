/* raw.h: `ss-bench raw`, the raw-request bound (raw.c). */
#ifndef SS_BENCH_RAW_H
#define SS_BENCH_RAW_H

/* argv after "raw"; returns the process exit code (2: usage). */
int bench_raw(int argc, char **argv);

#endif
