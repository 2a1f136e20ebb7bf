/* unit.h - a tiny unit-test harness printing "ok - ..." / "not ok - ..." lines. */
#ifndef ROS_UNIT_H
#define ROS_UNIT_H
#include <stdio.h>
#include <string.h>
static int unit_failed, unit_passed;
#define CHECK(cond, ...) do { \
	if (cond) { unit_passed++; printf("ok - "); printf(__VA_ARGS__); printf("\n"); } \
	else { unit_failed++; printf("not ok - "); printf(__VA_ARGS__); \
	       printf("\n#   %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)
#define CHECK_STR(got, want, ...) do { const char *g_ = (got), *w_ = (want); \
	CHECK(g_ && w_ && !strcmp(g_, w_), __VA_ARGS__); \
	if (!(g_ && w_ && !strcmp(g_, w_))) printf("#   got:  %s\n#   want: %s\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)
#define UNIT_DONE() (printf("# %d passed, %d failed\n", unit_passed, unit_failed), unit_failed ? 1 : 0)
#endif
