package dev.iavbridge.tests

import dev.iavbridge.BankAccountType
import dev.iavbridge.BillingAddress
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import dev.iavbridge.ExchangeSession
import dev.iavbridge.FundingSource
import dev.iavbridge.FundingSourceKind
import dev.iavbridge.Platform
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import java.util.UUID

/**
 * Every partner's flow to its end through the generated API against the sample-backend: MX
 * Connect to a funding source, a Checkout.com card token to a card funding source, Visa on iOS
 * only, and the customer's funding sources (listed with kinds and statuses, removed, duplicates).
 */
class PartnersTest {
    @After
    fun cleanUp() {
        Sim.clearFaults()
        Sim.resetAccount()
    }

    private val address = BillingAddress(
        address1 = "552 Test St",
        city = "Des Moines",
        stateProvinceRegion = "IA",
        country = "US",
        postalCode = "50310",
    )

    /** A Checkout.com session, its payment completed by the simulated Flow component: the card token. */
    private suspend fun cardToken(c: BridgeClient, customerId: String): String {
        val s = c.exchangeSession(c.createExchangeSession(customerId, "Checkout.com"))
        if (s !is ExchangeSession.CheckoutPayment) throw AssertionError("expected CheckoutPayment, got $s")
        return Sim.completePaymentSession(s.session.id())
    }

    /** A Plaid link to a bank funding source; `account` names the bank account. */
    private suspend fun bank(c: BridgeClient, customerId: String, name: String, account: String? = null): FundingSource {
        val link = c.startPlaidLink(customerId)
        val exchange = c.completePlaidLink(customerId, Sim.completeLink(link.linkToken(), account))
        return c.createFundingSource(customerId, exchange.id, BankAccountType.CHECKING, name)
    }

    @Test
    fun mxFromConnectToAFundingSource() = runTest {
        val bob = Backend.bob
        client(user = bob).use { c ->
            val url = c.createExchangeSession(bob.customerId, "MX")
            val s = c.exchangeSession(url)
            if (s !is ExchangeSession.WebRedirect) throw AssertionError("expected WebRedirect, got $s")
            // The user goes through MX Connect; the page is closed.
            val token = Sim.completeMxSession(url.substringAfterLast('/'))

            val connection = c.mxConnections(bob.customerId).single { it.availableConnectionToken() == token }
            assertTrue(connection.name().isNotEmpty())
            val printed = connection.toString()
            assertNoSecret(printed, listOf(token), "MxConnection.toString")
            assertTrue(printed, printed.contains(connection.name()))

            val exchange = c.completeMxConnection(bob.customerId, connection)
            assertEquals("active", exchange.status)
            assertTrue(exchange.url, exchange.url.startsWith(Backend.backendUrl))
            assertTrue(c.mxConnections(bob.customerId).none { it.availableConnectionToken() == token })
            // The same completion repeated replays its exchange (its key is derived from it);
            // another request with the used token ("me": another key) is refused.
            assertEquals(exchange, c.completeMxConnection(bob.customerId, connection))
            val again = assertThrowsTypeSuspend<BridgeException.Validation> { c.completeMxConnection("me", connection) }
            assertEquals("InvalidExchangeToken", again.code)
            assertNoSecret("${again.message} $again", listOf(token), "the used MX token's error")

            val fs = c.createFundingSource(bob.customerId, exchange.id, BankAccountType.SAVINGS, "Bob MX savings")
            assertEquals(FundingSourceKind.BANK, fs.kind)
            assertEquals("Bob MX savings", fs.name)
            assertNull(fs.card)
        }
    }

    @Test
    fun checkoutCardTokenToACardFundingSource() = runTest {
        val alice = Backend.alice
        client().use { c ->
            val token = cardToken(c, alice.customerId)
            assertTrue(token.startsWith("src_"))
            val fs = c.createCardFundingSource(alice.customerId, token, "Alice debit", address.copy(address2 = "Apt 4B"))
            assertEquals(FundingSourceKind.CARD, fs.kind)
            assertEquals("Alice debit", fs.name)
            assertNull(fs.bankName)
            val card = fs.card ?: throw AssertionError("a card funding source without a card summary: $fs")
            assertTrue(card.lastFour, card.lastFour.length == 4 && card.lastFour.all { it.isDigit() })
            assertTrue("${card.expirationMonth}", card.expirationMonth in 1u..12u)
            assertTrue("${card.expirationYear}", card.expirationYear >= 2025u)
            assertTrue(card.brand.isNotEmpty())
            assertNoSecret(fs.toString(), listOf(token), "FundingSource.toString")

            // The token again: Dwolla's "The card data is invalid.", without the token.
            val e = assertThrowsTypeSuspend<BridgeException.Validation> {
                c.createCardFundingSource(alice.customerId, token, "Alice again", address)
            }
            assertEquals("/cardToken", e.path)
            assertNoSecret("${e.message} $e", listOf(token), "the used card token's error")
        }
    }

    @Test
    fun aBillingAddressToFixIsRefusedBeforeAnyRequest() = runTest {
        // Nothing listens there: any request would be a Network error.
        val nowhere = BridgeClient(config(backendUrl = "http://127.0.0.1:9/"), StaticTokenProvider("t"))
        nowhere.use { c ->
            val e = assertThrowsTypeSuspend<BridgeException.InvalidArgument> {
                c.createCardFundingSource("me", "src_abc123", "Card",
                    address.copy(country = "UK", stateProvinceRegion = "ia", city = "c".repeat(51)))
            }
            assertTrue(e.reason, e.reason.contains("the United Kingdom is 'GB'"))
            assertTrue(e.reason, e.reason.contains("state_province_region must be in upper case: 'IA'"))
            assertTrue(e.reason, e.reason.contains("city must be at most 50 characters (it has 51)"))
            val blank = assertThrowsTypeSuspend<BridgeException.InvalidArgument> {
                c.createCardFundingSource("me", "src_abc 123", "Card", address.copy(postalCode = " "))
            }
            assertTrue(blank.reason, blank.reason.contains("postal_code is required"))
            assertNoSecret(blank.reason, listOf("src_abc 123", "abc 123"), "InvalidArgument")
        }
    }

    @Test
    fun visaOnIosOnly() = runTest {
        Sim.putAccount(Json.obj(
            "partners" to listOf("Finicity", "MX", "Plaid", "Flinks", "Checkout.com", "Visa"),
            "enabledPartners" to listOf("MX", "Plaid", "Checkout.com", "Visa"),
        ))
        client(Platform.Ios(IOS_REDIRECT)).use { c ->
            assertTrue(c.exchangePartners().any { it.name == "Visa" })
            val url = c.createExchangeSession(Backend.alice.customerId, "Visa")
            val s = c.exchangeSession(url)
            if (s !is ExchangeSession.WebRedirect) throw AssertionError("expected WebRedirect, got $s")
            assertEquals(url, s.sessionUrl)
            assertTrue(s.url, s.url.startsWith("https://"))
        }
        for (platform in listOf(Platform.Android(PACKAGE_NAME), Platform.Web)) {
            client(platform).use { c ->
                val e = assertThrowsTypeSuspend<BridgeException.InvalidRedirectUrl> {
                    c.createExchangeSession(Backend.alice.customerId, "Visa")
                }
                assertTrue(e.reason, e.reason.contains("Visa needs an https redirect URL, which only the iOS platform carries"))
            }
        }
    }

    @Test
    fun fundingSourcesListBankAndCardThenOneIsRemoved() = runTest {
        val alice = Backend.alice
        client().use { c ->
            val bank = bank(c, alice.customerId, "Alice list checking")
            val card = c.createCardFundingSource(alice.customerId, cardToken(c, alice.customerId), "Alice list card", address)

            val listed = c.fundingSources(alice.customerId).associateBy { it.id }
            assertEquals(FundingSourceKind.BANK, listed[bank.id]?.kind)
            assertEquals(FundingSourceKind.CARD, listed[card.id]?.kind)
            assertEquals(bank.status, listed[bank.id]?.status)
            assertEquals(card.card, listed[card.id]?.card)
            for (f in listed.values) {
                assertTrue(f.status, f.status == "verified" || f.status == "unverified")
                assertFalse(f.removed)
                assertTrue(f.created.isNotEmpty())
                assertEquals(f.kind == FundingSourceKind.CARD, f.card != null)
                assertTrue(f.url, f.url.startsWith(Backend.backendUrl))
            }

            // Bob may not remove alice's: 404, as for one that does not exist.
            client(user = Backend.bob).use { b ->
                assertThrowsTypeSuspend<BridgeException.NotFound> { b.removeFundingSource(bank.id) }
                assertTrue(b.fundingSources("me").none { it.id == bank.id || it.id == card.id })
            }

            val removed = c.removeFundingSource(bank.id)
            assertTrue(removed.removed)
            assertEquals(bank.id, removed.id)
            val after = c.fundingSources(alice.customerId).map { it.id }
            assertFalse(after.contains(bank.id))
            assertTrue(after.contains(card.id))
        }
    }

    @Test
    fun theSameBankLinkedTwiceIsADuplicateNamingTheFirst() = runTest {
        val alice = Backend.alice
        val account = "acct-${UUID.randomUUID()}"
        client().use { c ->
            val first = bank(c, alice.customerId, "Alice first", account)
            val e = assertThrowsTypeSuspend<BridgeException.DuplicateFundingSource> {
                bank(c, alice.customerId, "Alice second", account)
            }
            assertEquals(first.id, e.existingId)
            assertTrue(e.message ?: "", (e.message ?: "").contains(first.id))
        }
    }
}
