#!/usr/bin/env python3
"""Run the whole exchange-session flow against a running Dwolla simulator with Dwolla's official
Python client, dwollav2, and exit non-zero on any mismatch.

The flow: application token, exchange partners, a new customer, an exchange session (Plaid on
Android, with a package name as redirect URL), the session's Plaid link token, Link completed
through the simulator's /sim control surface, the exchange, the funding source; plus the seed
errors dwollav2 must map (redirect URL not configured, unsupported partner, unknown customer),
single-use sessions, Idempotency-Key replays and the UpdateCredentials re-authentication signal.

Usage:
  dwollav2-flow.py --url http://127.0.0.1:PORT [--key KEY] [--secret SECRET]

The URL may also come from SIMULATOR_URL. dwollav2 only knows Dwolla's hosts, so the script
registers a "simulator" environment in dwollav2.Client.ENVIRONMENTS pointing at the URL.
Access, link and public tokens are never printed.
"""

import argparse
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
    res = token.post("customers", {"firstName": "Flow", "lastName": "Test", "email": email})
    customer = res.headers["location"]
    c.check(res.status == 201 and customer.startswith(base + "/customers/"), "customer created (201 + Location)")
    c.check(token.get(customer).body["email"] == email, "customer retrieved")

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
