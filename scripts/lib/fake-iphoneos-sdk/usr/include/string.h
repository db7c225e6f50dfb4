/* Minimal C library declarations for ring's C in the stand-in iPhoneOS SDK of
 * scripts/check-mobile-targets.sh: glibc's headers do not parse for an Apple target, where clang
 * treats __nonnull as a keyword. */
#pragma once
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
