#!/usr/bin/env python3
"""Run the whole exchange-session flow against a running Dwolla simulator with Dwolla's official
Python client, dwollav2, and exit non-zero on any mismatch.

The flow: application token, exchange partners, a new customer (refused without a type), the
Accept rule (406 InvalidVersion without Dwolla's media type), an exchange session (Plaid on
Android, with a package name as redirect URL), the session's Plaid link token, Link completed
through the simulator's /sim control surface, the exchange, the funding source; plus the seed
errors dwollav2 must map (redirect URL not configured, unsupported partner, unknown customer),
single-use sessions, Idempotency-Key replays and the UpdateCredentials re-authentication signal.
Then every other partner's flow to its end: MX (available connection, exchange, funding source),
Checkout.com (card token through /sim, debit card funding source and its validation), the
customer's funding-source list and removal, the duplicate bank account (DuplicateResource), and
Visa listed through PUT /sim/account (https redirect URL required).

Usage:
  dwollav2-flow.py --url http://127.0.0.1:PORT [--key KEY] [--secret SECRET]

The URL may also come from SIMULATOR_URL. dwollav2 only knows Dwolla's hosts, so the script
registers a "simulator" environment in dwollav2.Client.ENVIRONMENTS pointing at the URL.
Access, link and public tokens are never printed.
"""

import argparse
import copy
import os
import sys
import uuid

import dwollav2
import requests

HAL = "application/vnd.dwolla.v1.hal+json"


class Checks:
    """Counts checks; a failed one raises so that the flow stops at the first mismatch."""

    def __init__(self):
        self.passed = 0

    def check(self, condition, what):
        if not condition:
            raise AssertionError(what)
        self.passed += 1
        print("ok  %s" % what)

    def raises(self, error_class, status, code, message, call, what):
        try:
            call()
        except error_class as e:
            body = e.body if isinstance(e.body, dict) else {}
            got = (e.status, body.get("code"), body.get("message"))
            self.check(got == (status, code, message) or (message is None and got[:2] == (status, code)),
                       "%s -> %s %s" % (what, status, code))
            return body
        except dwollav2.Error as e:
            raise AssertionError("%s: wrong error class %s (status %s)" % (what, type(e).__name__, e.status))
        raise AssertionError("%s: no error raised" % what)


def main(c):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("SIMULATOR_URL"), help="simulator base URL (or SIMULATOR_URL)")
    parser.add_argument("--key", default=os.environ.get("DWOLLA_KEY", "sim-key"), help="client key (default sim-key)")
    parser.add_argument("--secret", default=os.environ.get("DWOLLA_SECRET", "sim-secret"), help="client secret (default sim-secret)")
    args = parser.parse_args()
    if not args.url:
        parser.error("--url or SIMULATOR_URL is required")
    base = args.url.rstrip("/")

    dwollav2.Client.ENVIRONMENTS["simulator"] = {
        "auth_url": base + "/auth",
        "token_url": base + "/token",
        "api_url": base,
    }
    client = dwollav2.Client(key=args.key, secret=args.secret, environment="simulator")

    # Token.
    token = client.Auth.client()
    c.check(bool(token.access_token) and token.expires_in == 3600, "application token, expires_in 3600")
    bad = dwollav2.Client(key=args.key, secret="wrong", environment="simulator")
    try:
        bad.Auth.client()
        raise AssertionError("bad credentials accepted")
    except dwollav2.InvalidClientError:
        c.check(True, "bad credentials -> InvalidClientError")

    # Exchange partners.
    partners = token.get("exchange-partners").body["_embedded"]["exchange-partners"]
    by_name = {p["name"]: p for p in partners}
    c.check(set(by_name) == {"MX", "Plaid", "Checkout.com", "Finicity", "Flinks"}, "five exchange partners")
    plaid = by_name["Plaid"]["_links"]["self"]["href"]
    c.check(plaid.startswith(base + "/exchange-partners/"), "partner hrefs on the simulator's base URL")
    c.check(token.get(plaid).body["name"] == "Plaid", "GET exchange partner by href")

    # Customer.
    email = "flow-%s@example.com" % uuid.uuid4()
    untyped = c.raises(dwollav2.ValidationError, 400, "ValidationError", None,
                       lambda: token.post("customers", {"firstName": "Flow", "lastName": "Test", "email": email}),
                       "customer without a type")
    c.check([e.get("path") for e in untyped["_embedded"]["errors"]] == ["/type"], "the missing type is named /type")
    res = token.post("customers", {"firstName": "Flow", "lastName": "Test", "email": email, "type": "unverified"})
    customer = res.headers["location"]
    c.check(res.status == 201 and customer.startswith(base + "/customers/"), "customer created (201 + Location)")
    read = token.get(customer).body
    c.check(read["email"] == email and read["type"] == "unverified", "customer retrieved, type unverified")

    # Dwolla's media type is required in Accept (dwollav2 sends it): without it, 406 InvalidVersion.
    res = requests.get(customer, headers={"Authorization": "Bearer " + token.access_token,
                                          "Accept": "application/json"}, timeout=10)
    c.check(res.status_code == 406 and res.json().get("code") == "InvalidVersion",
            "Accept without Dwolla's media type -> 406 InvalidVersion")

    # Exchange session: Plaid on Android.
    body = {"_links": {"exchange-partner": {"href": plaid}, "redirect-url": {"href": "com.example.app"}}}
    res = token.post("%s/exchange-sessions" % customer, body, headers={"Idempotency-Key": str(uuid.uuid4())})
    session_url = res.headers["location"]
    c.check(res.status == 201 and session_url.startswith(base + "/exchange-sessions/"), "exchange session created")
    session = token.get(session_url).body
    link_token = session.get("externalProviderSessionToken", "")
    c.check(link_token.startswith("link-sandbox-"), "session has a Plaid link token")
    c.check(session["_links"]["exchange-partner"]["href"] == plaid, "session links its partner")

    # Idempotency-Key: the same key replays the original Location.
    key = str(uuid.uuid4())
    first = token.post("%s/exchange-sessions" % customer, body, headers={"Idempotency-Key": key}).headers["location"]
    again = token.post("%s/exchange-sessions" % customer, body, headers={"Idempotency-Key": key}).headers["location"]
    c.check(first == again, "Idempotency-Key replays the original 201")

    # Seed errors as dwollav2 maps them.
    other = {"_links": {"exchange-partner": {"href": plaid}, "redirect-url": {"href": "com.example.other"}}}
    c.raises(dwollav2.ValidationError, 400, "ValidationError",
             "The provided redirect URL must exactly match one of the configured URLs for the account",
             lambda: token.post("%s/exchange-sessions" % customer, other), "unconfigured redirect URL")
    finicity = {"_links": {"exchange-partner": {"href": by_name["Finicity"]["_links"]["self"]["href"]}}}
    c.raises(dwollav2.Error, 403, "forbidden", "The exchange partner specified does not support this product",
             lambda: token.post("%s/exchange-sessions" % customer, finicity), "partner without sessions")
    c.raises(dwollav2.NotFoundError, 404, "NotFound", "The requested resource was not found.",
             lambda: token.post("customers/%s/exchange-sessions" % uuid.uuid4(), body), "unknown customer")

    # Plaid Link, completed through the control surface.
    res = requests.post(base + "/sim/plaid/complete-link", json={"linkToken": link_token}, timeout=10)
    c.check(res.status_code == 200, "Link completed through /sim")
    public_token = res.json()["publicToken"]
    c.check(public_token.startswith("public-sandbox-"), "public token issued")
    c.raises(dwollav2.Error, 404, "notFound", "Exchange session not found.",
             lambda: token.get(session_url), "a used session is no longer found")

    # Exchange.
    res = token.post("%s/exchanges" % customer,
                     {"_links": {"exchange-partner": {"href": plaid}}, "plaid": {"publicToken": public_token}})
    exchange = res.headers["location"]
    c.check(res.status == 201 and exchange.startswith(base + "/exchanges/"), "exchange created")
    c.check(token.get(exchange).body["status"] == "active", "exchange is active")
    c.raises(dwollav2.Error, 400, "InvalidExchangeToken", None,
             lambda: token.post("%s/exchanges" % customer,
                                {"_links": {"exchange-partner": {"href": plaid}}, "plaid": {"publicToken": public_token}}),
             "a used public token is refused")

    # Re-authentication signal before the funding source.
    exchange_id = exchange.rsplit("/", 1)[1]
    res = requests.post("%s/sim/exchanges/%s/require-reauth" % (base, exchange_id), timeout=10)
    c.check(res.status_code == 204, "exchange marked for re-authentication")
    fs_body = {"_links": {"exchange": {"href": exchange}}, "bankAccountType": "checking", "name": "Flow Checking"}
    err = c.raises(dwollav2.UpdateCredentialsError, 400, "UpdateCredentials", None,
                   lambda: token.post("%s/funding-sources" % customer, fs_body), "UpdateCredentials")
    about = err["_links"]["about"]["href"]
    c.check(about == "%s/exchanges/%s/exchange-sessions" % (base, exchange_id), "UpdateCredentials links the re-auth URL")
    res = token.post(about, {"_links": {"redirect-url": {"href": "com.example.app"}}})
    reauth = token.get(res.headers["location"]).body
    res = requests.post(base + "/sim/plaid/complete-link",
                        json={"linkToken": reauth["externalProviderSessionToken"]}, timeout=10)
    c.check(res.status_code == 200, "re-authentication completed")

    # Funding source.
    res = token.post("%s/funding-sources" % customer, fs_body)
    funding_source = res.headers["location"]
    c.check(res.status == 201 and funding_source.startswith(base + "/funding-sources/"), "funding source created")
    fs = token.get(funding_source).body
    c.check(fs["name"] == "Flow Checking" and fs["bankAccountType"] == "checking", "funding source retrieved")
    c.raises(dwollav2.ValidationError, 400, "ValidationError", None,
             lambda: token.post("%s/funding-sources" % customer, fs_body), "duplicate funding source refused")

    # MX: no connection yet, MX Connect completed through /sim, the connection, exchange, funding source.
    funding_sources = "%s/funding-sources" % customer
    mx = by_name["MX"]["_links"]["self"]["href"]
    connections_url = "%s/available-exchange-connections" % customer
    c.check(token.get(connections_url).body["_embedded"]["available-exchange-connections"] == [],
            "no MX connection yet: 200 with an empty list")
    res = token.post("%s/exchange-sessions" % customer, {"_links": {"exchange-partner": {"href": mx}}})
    mx_session_url = res.headers["location"]
    page = token.get(mx_session_url).body["_links"]["external-provider-session"]
    c.check(page["href"].startswith("https://") and page["resource-type"] == "text/html",
            "MX session links a web page to open")
    res = requests.post(base + "/sim/mx/complete-session",
                        json={"exchangeSessionId": mx_session_url.rsplit("/", 1)[1]}, timeout=10)
    c.check(res.status_code == 200, "MX Connect completed through /sim")
    conns = token.get(connections_url).body["_embedded"]["available-exchange-connections"]
    c.check(len(conns) == 1 and bool(conns[0]["name"]) and bool(conns[0]["availableConnectionToken"]),
            "one available connection with name and availableConnectionToken")
    mx_body = {"_links": {"exchange-partner": {"href": mx}},
               "mx": {"availableConnectionToken": conns[0]["availableConnectionToken"]}}
    res = token.post("%s/exchanges" % customer, mx_body)
    mx_exchange = res.headers["location"]
    c.check(res.status == 201 and mx_exchange.startswith(base + "/exchanges/"), "MX exchange created")
    c.raises(dwollav2.Error, 400, "InvalidExchangeToken", None,
             lambda: token.post("%s/exchanges" % customer, mx_body), "a used connection token is refused")
    res = token.post(funding_sources, {"_links": {"exchange": {"href": mx_exchange}},
                                       "bankAccountType": "savings", "name": "MX Savings"})
    mx_fs = res.headers["location"]
    c.check(res.status == 201 and token.get(mx_fs).body["bankAccountType"] == "savings", "MX funding source created")

    # Checkout.com: the Flow component's card token (through /sim), the debit card funding source.
    checkout = by_name["Checkout.com"]["_links"]["self"]["href"]
    res = token.post("%s/exchange-sessions" % customer, {"_links": {"exchange-partner": {"href": checkout}}})
    payment_session = token.get(res.headers["location"]).body["externalProviderSessionData"]["id"]
    complete = base + "/sim/checkout/complete-payment-session"
    res = requests.post(complete, json={"paymentSessionId": payment_session}, timeout=10)
    card_token = res.json().get("cardToken", "") if res.status_code == 200 else ""
    c.check(card_token.startswith("src_"), "card token issued through /sim")
    res = requests.post(complete, json={"paymentSessionId": payment_session}, timeout=10)
    c.check(res.status_code == 404, "a payment session gives one card token")
    card_body = {"cardToken": card_token, "name": "Flow Debit Card",
                 "cardDetails": {"billingAddress": {"address1": "123 Main St", "address2": "Apt 4B", "city": "Dallas",
                                                    "stateProvinceRegion": "TX", "country": "US",
                                                    "postalCode": "76034"}}}
    bad_card = copy.deepcopy(card_body)
    bad_card["cardDetails"]["billingAddress"]["country"] = "USA"
    bad_card["name"] = "n" * 51
    err = c.raises(dwollav2.ValidationError, 400, "ValidationError", None,
                   lambda: token.post(funding_sources, bad_card), "card funding source validated")
    c.check([e["path"] for e in err["_embedded"]["errors"]] == ["/name", "/cardDetails/billingAddress/country"],
            "validation errors name /name and /cardDetails/billingAddress/country")
    res = token.post(funding_sources, card_body)
    card_fs = res.headers["location"]
    card = token.get(card_fs).body
    c.check(res.status == 201 and card["type"] == "card" and card["status"] == "verified",
            "card funding source created (type card, verified)")
    details = card["cardDetails"]
    c.check(len(details["lastFour"]) == 4 and bool(details["brand"]) and 1 <= details["expirationMonth"] <= 12
            and details["expirationYear"] >= 2026 and details["nameOnCard"] == "Flow Test",
            "card details: brand, lastFour, expiration, nameOnCard")
    err = c.raises(dwollav2.ValidationError, 400, "ValidationError", None,
                   lambda: token.post(funding_sources, card_body), "a used card token is refused")
    c.check(err["_embedded"]["errors"][0]["path"] == "/cardToken"
            and err["_embedded"]["errors"][0]["message"] == "The card data is invalid.",
            "the refusal names /cardToken")

    # The customer's funding sources, and removal.
    listed = token.get(funding_sources).body["_embedded"]["funding-sources"]
    c.check([f["type"] for f in listed] == ["bank", "bank", "card"], "three funding sources listed, oldest first")
    res = token.post(mx_fs, {"removed": True})
    c.check(res.status == 200 and res.body["removed"] is True, "funding source removed: 200, removed true")
    c.raises(dwollav2.InvalidResourceStateError, 403, "InvalidResourceState", "A removed bank cannot be updated.",
             lambda: token.post(mx_fs, {"removed": True}), "a removed funding source cannot be changed")
    c.check(len(token.get(funding_sources).body["_embedded"]["funding-sources"]) == 3,
            "removed ones are listed by default")
    active = token.get(funding_sources, {"removed": "false"}).body["_embedded"]["funding-sources"]
    c.check([f["_links"]["self"]["href"] for f in active] == [funding_source, card_fs],
            "removed=false leaves the removed one out")

    # The same bank account linked twice: Dwolla's DuplicateResource, linking the first.
    def plaid_exchange(account):
        session = {"_links": {"exchange-partner": {"href": plaid}, "redirect-url": {"href": "com.example.app"}}}
        link = token.get(token.post("%s/exchange-sessions" % customer, session).headers["location"])
        res = requests.post(base + "/sim/plaid/complete-link",
                            json={"linkToken": link.body["externalProviderSessionToken"], "account": account},
                            timeout=10)
        res = token.post("%s/exchanges" % customer, {"_links": {"exchange-partner": {"href": plaid}},
                                                     "plaid": {"publicToken": res.json()["publicToken"]}})
        return {"_links": {"exchange": {"href": res.headers["location"]}}, "bankAccountType": "checking",
                "name": "Same account"}
    first = token.post(funding_sources, plaid_exchange("flow-account")).headers["location"]
    second = plaid_exchange("flow-account")
    err = c.raises(dwollav2.Error, 400, "DuplicateResource", "Bank already exists: id=%s" % first.rsplit("/", 1)[1],
                   lambda: token.post(funding_sources, second), "the same bank account twice -> DuplicateResource")
    c.check(err["_links"]["about"]["href"] == first, "DuplicateResource links the existing funding source")

    # Visa: off by default, listed and enabled through /sim; an https redirect URL is required.
    res = requests.put(base + "/sim/account", timeout=10, json={
        "partners": ["Finicity", "MX", "Plaid", "Flinks", "Checkout.com", "Visa"],
        "enabledPartners": ["MX", "Plaid", "Checkout.com", "Visa"]})
    c.check(res.status_code == 200 and "Visa" in res.json()["partners"], "Visa listed through PUT /sim/account")
    listed = {p["name"]: p for p in token.get("exchange-partners").body["_embedded"]["exchange-partners"]}
    c.check(len(listed) == 6 and "Visa" in listed, "six exchange partners with Visa")
    visa = listed["Visa"]["_links"]["self"]["href"]
    for redirect in (None, "com.example.app"):
        links = {"exchange-partner": {"href": visa}}
        if redirect:
            links["redirect-url"] = {"href": redirect}
        c.raises(dwollav2.ValidationError, 400, "ValidationError", "/_links/redirect-url/href is invalid",
                 lambda: token.post("%s/exchange-sessions" % customer, {"_links": links}),
                 "a Visa session with redirect URL %s" % (redirect or "none"))
    res = token.post("%s/exchange-sessions" % customer,
                     {"_links": {"exchange-partner": {"href": visa}, "redirect-url": {"href": "https://example.com/app"}}})
    visa_session = token.get(res.headers["location"]).body
    c.check(res.status == 201 and visa_session["_links"]["external-provider-session"]["href"].startswith("https://"),
            "a Visa session with an https redirect URL links a web page")

    # Expired access token.
    res = requests.post(base + "/sim/tokens/expire", timeout=10)
    c.check(res.status_code == 204, "tokens expired through /sim")
    c.raises(dwollav2.ExpiredAccessTokenError, 401, "ExpiredAccessToken", "Expired access token.",
             lambda: token.get("exchange-partners"), "expired access token")
    return c.passed


if __name__ == "__main__":
    checks = Checks()
    try:
        passed = main(checks)
    except AssertionError as e:
        print("MISMATCH: %s" % e, file=sys.stderr)
        print("dwollav2-flow: %d passed, 1 failed" % checks.passed)
        sys.exit(1)
    except (dwollav2.Error, requests.RequestException, KeyError, ValueError) as e:
        print("FAILED: %s: %s" % (type(e).__name__, getattr(e, "status", "")), file=sys.stderr)
        print("dwollav2-flow: %d passed, 1 failed" % checks.passed)
        sys.exit(1)
    print("dwollav2-flow: %d passed, 0 failed" % passed)
