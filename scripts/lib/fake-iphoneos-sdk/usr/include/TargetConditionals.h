/* The one Apple header ring's C includes, with the values of an iOS device build. Part of the
 * stand-in iPhoneOS SDK of scripts/check-mobile-targets.sh (a type-check; nothing is linked). */
#ifndef IAV_BRIDGE_FAKE_TARGET_CONDITIONALS_H
#define IAV_BRIDGE_FAKE_TARGET_CONDITIONALS_H
#define TARGET_OS_MAC 1
#define TARGET_OS_IPHONE 1
#define TARGET_OS_IOS 1
#define TARGET_OS_OSX 0
#define TARGET_OS_SIMULATOR 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_VISION 0
#define TARGET_OS_MACCATALYST 0
#endif
