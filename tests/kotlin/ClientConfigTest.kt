package dev.iavbridge.tests

import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeConfig
import dev.iavbridge.BridgeException
import dev.iavbridge.Environment
import dev.iavbridge.Platform
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class ClientConfigTest {
    private fun invalid(cfg: BridgeConfig): BridgeException.InvalidConfiguration =
        assertThrowsType { BridgeClient(cfg, null).close() }

    @Test
    fun configIsADataClassWithTheDocumentedDefaults() {
        val cfg = BridgeConfig("https://api.example.com/", Platform.Web, Environment.PRODUCTION)
        assertEquals(15_000uL, cfg.timeoutMs)
        assertEquals(2u, cfg.maxRetries)
        assertEquals(false, cfg.allowInsecureHttp)
        assertEquals(emptyList<String>(), cfg.additionalRootCertificates)
        assertEquals(null, cfg.userAgent)
        val changed = cfg.copy(timeoutMs = 5_000uL)
        assertEquals(5_000uL, changed.timeoutMs)
        assertNotEquals(cfg, changed)
        assertEquals(cfg, changed.copy(timeoutMs = 15_000uL))
    }

    @Test
    fun aValidConfigurationBuildsWithoutNetwork() {
        // Port 9 on loopback: nothing listens; construction must not connect.
        val c = BridgeClient(
            BridgeConfig("https://127.0.0.1:9/api/", Platform.Ios(IOS_REDIRECT), Environment.SANDBOX),
            StaticTokenProvider("t"),
        )
        c.close()
    }

    @Test
    fun badBackendUrlIsRefused() {
        for (url in listOf("", "not a url", "ftp://example.com/", "/relative/path")) {
            val e = invalid(BridgeConfig(url, Platform.Web, Environment.SANDBOX))
            assertTrue(e.reason, e.reason.isNotBlank())
        }
    }

    @Test
    fun plainHttpNeedsTheOptInAndNeverInProduction() {
        val http = BridgeConfig("http://127.0.0.1:8080/", Platform.Web, Environment.SANDBOX)
        val e = invalid(http)
        assertTrue(e.reason, e.reason.contains("allow", ignoreCase = true) || e.reason.contains("https"))
        BridgeClient(http.copy(allowInsecureHttp = true), null).close()
        invalid(http.copy(allowInsecureHttp = true, environment = Environment.PRODUCTION))
    }

    @Test
    fun badPlatformValuesAreRefusedWithTheRule() {
        val e1 = assertThrowsType<BridgeException> {
            BridgeClient(BridgeConfig("https://api.example.com/", Platform.Android("com.1app"), Environment.SANDBOX), null)
        }
        assertTrue(
            "expected InvalidRedirectUrl or InvalidConfiguration, got $e1",
            e1 is BridgeException.InvalidRedirectUrl || e1 is BridgeException.InvalidConfiguration,
        )
        assertTrue(e1.message!!, e1.message!!.contains("segment 2"))
        val e2 = assertThrowsType<BridgeException> {
            BridgeClient(BridgeConfig("https://api.example.com/", Platform.Ios("myapp://plaid"), Environment.SANDBOX), null)
        }
        assertTrue(e2.message!!, e2.message!!.contains("https"))
    }

    @Test
    fun badPemIsRefused() {
        invalid(
            BridgeConfig(
                "https://api.example.com/", Platform.Web, Environment.SANDBOX,
                additionalRootCertificates = listOf("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"),
            ),
        )
    }
}
