package dev.iavbridge.tests

import dev.iavbridge.BankAccountType
import dev.iavbridge.BridgeException
import dev.iavbridge.ExchangeSession
import dev.iavbridge.Platform
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class FlowTest {
    @After
    fun cleanUp() {
        Sim.clearFaults()
    }

    @Test
    fun androidFlowFromLinkToFundingSource() = runTest {
        client().use { c ->
            val alice = Backend.alice
            val session = c.startPlaidLink(alice.customerId)
            assertTrue(session.linkToken().startsWith("link-sandbox-"))
            assertTrue(session.sessionUrl(), session.sessionUrl().startsWith(Backend.backendUrl))
            assertTrue(session.created().isNotEmpty())

            val publicToken = Sim.completeLink(session.linkToken())
            assertTrue(publicToken.startsWith("public-sandbox-"))
            val exchange = c.completePlaidLink(alice.customerId, publicToken)
            assertTrue(exchange.id.isNotEmpty())
            assertTrue(exchange.url, exchange.url.startsWith(Backend.backendUrl) && exchange.url.endsWith(exchange.id))

            val fs = c.createFundingSource(alice.customerId, exchange.id, BankAccountType.CHECKING, "Alice checking")
            assertEquals("Alice checking", fs.name)
            assertTrue(fs.url, fs.url.startsWith(Backend.backendUrl) && fs.url.endsWith(fs.id))

            // The same exchange again: Dwolla's duplicate, typed, naming the existing funding source.
            val dup = assertThrowsTypeSuspend<BridgeException.DuplicateFundingSource> {
                c.createFundingSource(alice.customerId, exchange.id, BankAccountType.CHECKING, "Alice again")
            }
            assertEquals(fs.id, dup.existingId)
        }
    }

    @Test
    fun webAndIosPlatformsAlsoGetALinkToken() = runTest {
        for (platform in listOf(Platform.Web, Platform.Ios(IOS_REDIRECT))) {
            client(platform).use { c ->
                val s = c.startPlaidLink("me")
                assertTrue("$platform", s.linkToken().startsWith("link-sandbox-"))
            }
        }
    }

    @Test
    fun eachFlowGetsItsOwnSession() = runTest {
        client().use { c ->
            val a = c.startPlaidLink(Backend.alice.customerId)
            val b = c.startPlaidLink(Backend.alice.customerId)
            assertNotEquals(a.linkToken(), b.linkToken())
            assertNotEquals(a.sessionUrl(), b.sessionUrl())
        }
    }

    @Test
    fun partnersAreListedByName() = runTest {
        client().use { c ->
            val partners = c.exchangePartners()
            val names = partners.map { it.name }.toSet()
            assertTrue("$names", names.containsAll(listOf("Plaid", "MX", "Checkout.com")))
            for (p in partners) {
                assertTrue(p.href, p.href.startsWith(Backend.backendUrl))
                assertTrue(p.id.isNotEmpty())
            }
        }
    }

    @Test
    fun reauthAfterUpdateCredentials() = runTest {
        client().use { c ->
            val alice = Backend.alice
            val first = c.startPlaidLink(alice.customerId)
            val exchange = c.completePlaidLink(alice.customerId, Sim.completeLink(first.linkToken()))
            Sim.requireReauth(exchange.id)

            val e = assertThrowsTypeSuspend<BridgeException.ReauthRequired> {
                c.createFundingSource(alice.customerId, exchange.id, BankAccountType.SAVINGS, "Alice savings")
            }
            assertTrue(e.exchangeUrl, e.exchangeUrl.contains(exchange.id))
            assertFalse(e.exchangeUrl.startsWith("https://api"))

            val reauth = c.startReauth(exchange.id)
            assertTrue(reauth.linkToken().startsWith("link-sandbox-"))
            assertNotEquals(first.linkToken(), reauth.linkToken())
            Sim.completeLink(reauth.linkToken())

            val fs = c.createFundingSource(alice.customerId, exchange.id, BankAccountType.SAVINGS, "Alice savings")
            assertEquals("Alice savings", fs.name)
        }
    }

    @Test
    fun mxSessionIsAWebRedirect() = runTest {
        client().use { c ->
            val url = c.createExchangeSession(Backend.alice.customerId, "MX")
            assertTrue(url, url.startsWith(Backend.backendUrl))
            when (val s = c.exchangeSession(url)) {
                is ExchangeSession.WebRedirect -> {
                    assertEquals(url, s.sessionUrl)
                    assertTrue(s.url, s.url.startsWith("https://") || s.url.startsWith("http://"))
                }
                else -> throw AssertionError("expected WebRedirect, got $s")
            }
        }
    }

    @Test
    fun checkoutSessionCarriesRedactedPaymentData() = runTest {
        client().use { c ->
            val url = c.createExchangeSession(Backend.alice.customerId, "Checkout.com")
            val s = c.exchangeSession(url)
            if (s !is ExchangeSession.CheckoutPayment) throw AssertionError("expected CheckoutPayment, got $s")
            val p = s.session
            assertTrue(p.id().isNotEmpty())
            assertTrue(p.paymentSessionSecret().isNotEmpty())
            assertTrue(p.paymentSessionToken().isNotEmpty())
            assertEquals(url, p.sessionUrl())
            val printed = listOf(p.toString(), s.toString())
            for (text in printed) {
                assertNoSecret(text, listOf(p.paymentSessionSecret(), p.paymentSessionToken()), "CheckoutPaymentSession.toString")
                assertTrue(text, text.contains(p.id()))
            }
        }
    }

    @Test
    fun plaidSessionThroughTheGeneralPath() = runTest {
        client().use { c ->
            val url = c.createExchangeSession(Backend.alice.customerId, "Plaid")
            val s = c.exchangeSession(url)
            if (s !is ExchangeSession.PlaidLink) throw AssertionError("expected PlaidLink, got $s")
            assertTrue(s.session.linkToken().startsWith("link-sandbox-"))
            assertNoSecret(s.toString(), listOf(s.session.linkToken()), "ExchangeSession.PlaidLink.toString")
        }
    }

    @Test
    fun sessionToStringHidesTheLinkToken() = runTest {
        client().use { c ->
            val s = c.startPlaidLink(Backend.alice.customerId)
            val text = s.toString()
            assertNoSecret(text, listOf(s.linkToken()), "PlaidLinkSession.toString")
            assertTrue(text, text.contains(s.sessionUrl()))
        }
    }

    @Test
    fun prewarmThenStartIsFine() = runTest {
        client().use { c ->
            c.prewarm()
            c.prewarm()
            assertTrue(c.startPlaidLink("me").linkToken().startsWith("link-"))
        }
    }

    @Test
    fun anotherUsersCustomerIsNotFound() = runTest {
        client(user = Backend.bob).use { c ->
            val e = assertThrowsTypeSuspend<BridgeException> { c.startPlaidLink(Backend.alice.customerId) }
            assertTrue("$e", e is BridgeException.NotFound || e is BridgeException.Forbidden)
        }
    }
}
