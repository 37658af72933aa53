/*
 * compat - the one place that bridges liburing 2.3 (Debian 12) and what the
 * running kernel offers.  Everything is decided at run time by probing; the
 * definitions here only name what the 2.3 headers do not.
 */
#ifndef UCP_COMPAT_H
#define UCP_COMPAT_H

#include <liburing.h>

#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#endif
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

/* listxattrat(2), Linux 6.13: the same number on every architecture. */
#ifndef SYS_listxattrat
#define SYS_listxattrat 465
#endif

#endif
