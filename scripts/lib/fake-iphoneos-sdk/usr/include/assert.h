/* Minimal C library declarations for ring's C in the stand-in iPhoneOS SDK of
 * scripts/check-mobile-targets.sh: glibc's headers do not parse for an Apple target, where clang
 * treats __nonnull as a keyword. */
#pragma once
#define assert(e) ((void)0)
