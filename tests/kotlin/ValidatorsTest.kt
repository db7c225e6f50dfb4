package dev.iavbridge.tests

import dev.iavbridge.RedirectUrlException
import dev.iavbridge.validateAndroidPackageName
import dev.iavbridge.validateIosRedirectUrl
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class ValidatorsTest {
    @Test
    fun validAndroidPackageNamesAreReturnedUnchanged() {
        for (name in listOf("com.example.app", "com.example.app123", "a.b", "Com.Example_App.v2", "x" + ".y".repeat(100))) {
            assertEquals(name, validateAndroidPackageName(name))
        }
    }

    @Test
    fun invalidAndroidPackageNamesThrowWithTheRule() {
        val cases = mapOf(
            "com.1app" to "segment 2",
            "app" to "two",
            "https://example.com/app" to "URL",
            " com.example.app" to "whitespace",
            "com.example.app " to "whitespace",
            "com..app" to "empty",
            "com.exa-mple" to "-",
            "" to "empty",
            "a." + "b".repeat(222) to "223",
        )
        for ((value, hint) in cases) {
            val e = assertThrowsType<RedirectUrlException.InvalidAndroidPackageName> { validateAndroidPackageName(value) }
            assertTrue("reason for '$value' should mention '$hint': ${e.reason}", e.reason.contains(hint, ignoreCase = true))
            assertTrue(e.message!!.contains(e.reason))
        }
    }

    @Test
    fun validIosRedirectUrlsAreReturnedUnchanged() {
        for (url in listOf("https://example.com/app", "https://example.com", "https://example.com/", "https://sub.example.co.uk:8443/plaid/oauth")) {
            assertEquals(url, validateIosRedirectUrl(url))
        }
    }

    @Test
    fun invalidIosRedirectUrlsThrowWithTheRule() {
        val cases = mapOf(
            "http://example.com/app" to "https",
            "myapp://plaid" to "scheme",
            "https://example.com/app?x=1" to "query",
            "https://example.com/app#frag" to "fragment",
            "https://user:pw@example.com/app" to "user",
            "com.example.app" to "URL",
            "https://example.com/" + "a".repeat(2100) to "2048",
        )
        for ((value, hint) in cases) {
            val e = assertThrowsType<RedirectUrlException.InvalidIosRedirectUrl> { validateIosRedirectUrl(value) }
            assertTrue("reason for '${value.take(40)}' should mention '$hint': ${e.reason}", e.reason.contains(hint, ignoreCase = true))
        }
    }

    @Test
    fun theErrorsAreOneSealedHierarchy() {
        val e: RedirectUrlException = assertThrowsType { validateAndroidPackageName("nodots") }
        val which = when (e) {
            is RedirectUrlException.InvalidAndroidPackageName -> "android"
            is RedirectUrlException.InvalidIosRedirectUrl -> "ios"
        }
        assertEquals("android", which)
    }
}
