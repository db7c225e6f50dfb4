//! A debit card funding source's arguments (Dwolla's "Create Debit Card Funding Source"):
//! checked before any request, with one message that lists every field to fix, and the request
//! body built from them. Pure, no I/O.
//!
//! The card token is a secret: no message here repeats it.

use serde_json::{json, Map, Value};

use crate::error::BridgeError;
use crate::hal::BillingAddress;
use crate::quote::Quoted;

/// The most characters of a funding source's name, an address's first line and its city.
const MAX_SHORT: usize = 50;
/// The most characters of an address's second and third lines.
const MAX_LINE: usize = 100;

/// The officially assigned ISO 3166-1 alpha-2 country codes (249), sorted. User-assigned codes
/// (`XK`, `ZZ`, ...) and reserved ones (`UK`, `EU`) are not in it.
const ISO_3166_1_ALPHA_2: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` is an assigned ISO 3166-1 alpha-2 code (upper case).
pub(crate) fn is_country_code(code: &str) -> bool {
    ISO_3166_1_ALPHA_2.binary_search(&code).is_ok()
}

/// Checks a card funding source's arguments; the error lists every field to fix.
pub(crate) fn check(card_token: &str, name: &str, a: &BillingAddress) -> Result<(), BridgeError> {
    let mut problems = Vec::new();
    if card_token.is_empty() {
        problems.push(
            "card_token is empty: pass the token Checkout.com's Flow component returned"
                .to_string(),
        );
    } else if card_token
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        problems.push("card_token contains whitespace or control characters: pass the token Checkout.com's Flow component returned, unchanged".to_string());
    }
    required(&mut problems, "name", name, MAX_SHORT);
    required(
        &mut problems,
        "billing_address.address1",
        &a.address1,
        MAX_SHORT,
    );
    optional(
        &mut problems,
        "billing_address.address2",
        a.address2.as_deref(),
        MAX_LINE,
    );
    optional(
        &mut problems,
        "billing_address.address3",
        a.address3.as_deref(),
        MAX_LINE,
    );
    required(&mut problems, "billing_address.city", &a.city, MAX_SHORT);
    state(&mut problems, &a.state_province_region);
    country(&mut problems, &a.country);
    required(
        &mut problems,
        "billing_address.postal_code",
        &a.postal_code,
        usize::MAX,
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(BridgeError::InvalidArgument {
            reason: problems.join("; "),
        })
    }
}

/// The body of `POST customers/{id}/funding-sources` for a card. Blank optional address lines
/// are left out.
pub(crate) fn body(card_token: &str, name: &str, a: &BillingAddress) -> Value {
    let mut address = Map::new();
    address.insert("address1".into(), json!(a.address1));
    for (key, line) in [("address2", &a.address2), ("address3", &a.address3)] {
        if let Some(line) = line.as_deref().filter(|l| !l.trim().is_empty()) {
            address.insert(key.into(), json!(line));
        }
    }
    address.insert("city".into(), json!(a.city));
    address.insert("stateProvinceRegion".into(), json!(a.state_province_region));
    address.insert("country".into(), json!(a.country));
    address.insert("postalCode".into(), json!(a.postal_code));
    json!({
        "cardToken": card_token,
        "name": name,
        "cardDetails": {"billingAddress": address},
    })
}

fn required(problems: &mut Vec<String>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        problems.push(format!("{field} is required (it is blank)"));
    } else {
        text(problems, field, value, max);
    }
}

fn optional(problems: &mut Vec<String>, field: &str, value: Option<&str>, max: usize) {
    if let Some(value) = value {
        text(problems, field, value, max);
    }
}

fn text(problems: &mut Vec<String>, field: &str, value: &str, max: usize) {
    let chars = value.chars().count();
    if chars > max {
        problems.push(format!(
            "{field} must be at most {max} characters (it has {chars})"
        ));
    }
    if value.chars().any(char::is_control) {
        problems.push(format!("{field} contains a control character"));
    }
}

fn state(problems: &mut Vec<String>, value: &str) {
    const FIELD: &str = "billing_address.state_province_region";
    if value.trim().is_empty() {
        problems.push(format!("{FIELD} is required (it is blank)"));
    } else if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        // A two-letter code.
    } else if value.len() == 2 && value.bytes().all(|b| b.is_ascii_alphabetic()) {
        problems.push(format!(
            "{FIELD} must be in upper case: {}",
            Quoted::new(&value.to_ascii_uppercase())
        ));
    } else {
        problems.push(format!(
            "{FIELD} must be a two-letter state, province or region code such as 'IA' (it is {})",
            Quoted::new(value)
        ));
    }
}

fn country(problems: &mut Vec<String>, value: &str) {
    const FIELD: &str = "billing_address.country";
    let upper = value.to_ascii_uppercase();
    if value.trim().is_empty() {
        problems.push(format!("{FIELD} is required (it is blank)"));
    } else if is_country_code(value) {
        // An assigned code.
    } else if is_country_code(&upper) {
        problems.push(format!(
            "{FIELD} must be in upper case: {}",
            Quoted::new(&upper)
        ));
    } else if upper == "UK" {
        problems.push(format!(
            "{FIELD} 'UK' is not an ISO 3166-1 alpha-2 code: the United Kingdom is 'GB'"
        ));
    } else if value.len() == 2 && value.bytes().all(|b| b.is_ascii_alphabetic()) {
        problems.push(format!(
            "{FIELD} {} is not an assigned ISO 3166-1 alpha-2 country code",
            Quoted::new(value)
        ));
    } else {
        problems.push(format!(
            "{FIELD} must be a two-letter ISO 3166-1 alpha-2 country code such as 'US' (it is {})",
            Quoted::new(value)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address() -> BillingAddress {
        BillingAddress {
            address1: "552 Test St".into(),
            address2: None,
            address3: None,
            city: "Des Moines".into(),
            state_province_region: "IA".into(),
            country: "US".into(),
            postal_code: "50310".into(),
        }
    }

    fn reason(token: &str, name: &str, a: &BillingAddress) -> String {
        match check(token, name, a) {
            Err(BridgeError::InvalidArgument { reason }) => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_country_list_is_sorted_and_complete() {
        assert_eq!(ISO_3166_1_ALPHA_2.len(), 249);
        assert!(ISO_3166_1_ALPHA_2.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO_3166_1_ALPHA_2
            .iter()
            .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())));
        for ok in ["US", "GB", "DE", "CA", "MX", "AX", "SS", "ZW", "AD"] {
            assert!(is_country_code(ok), "{ok}");
        }
        // Reserved, user-assigned, withdrawn or simply unassigned.
        for no in [
            "UK", "EU", "XK", "ZZ", "AA", "QM", "YU", "AN", "CS", "us", "USA", "",
        ] {
            assert!(!is_country_code(no), "{no}");
        }
    }

    #[test]
    fn a_good_request_passes_and_its_body_is_dwollas() {
        let mut a = address();
        check("src_abc123", "My debit card", &a).unwrap();
        a.address2 = Some("Apt 4B".into());
        a.address3 = Some("  ".into());
        let b = body("src_abc123", "My debit card", &a);
        assert_eq!(b["cardToken"], "src_abc123");
        assert_eq!(b["name"], "My debit card");
        let addr = &b["cardDetails"]["billingAddress"];
        assert_eq!(addr["address1"], "552 Test St");
        assert_eq!(addr["address2"], "Apt 4B");
        assert!(addr.get("address3").is_none());
        assert_eq!(addr["stateProvinceRegion"], "IA");
        assert_eq!(addr["postalCode"], "50310");
        assert_eq!(addr["country"], "US");
        assert_eq!(addr.as_object().unwrap().len(), 6);
        // Limits are inclusive, in characters.
        a.address1 = "é".repeat(50);
        a.city = "c".repeat(50);
        a.address2 = Some("x".repeat(100));
        check("src_abc123", &"n".repeat(50), &a).unwrap();
    }

    #[test]
    fn every_field_to_fix_is_named_at_once() {
        let a = BillingAddress {
            address1: " ".into(),
            address2: Some("x".repeat(101)),
            address3: Some("y".repeat(101)),
            city: "c".repeat(51),
            state_province_region: "Iowa".into(),
            country: "USA".into(),
            postal_code: String::new(),
        };
        let r = reason("src_abc123", &"n".repeat(51), &a);
        for part in [
            "name must be at most 50 characters (it has 51)",
            "billing_address.address1 is required",
            "billing_address.address2 must be at most 100 characters (it has 101)",
            "billing_address.address3 must be at most 100 characters (it has 101)",
            "billing_address.city must be at most 50 characters (it has 51)",
            "billing_address.state_province_region must be a two-letter state, province or region code such as 'IA' (it is 'Iowa')",
            "billing_address.country must be a two-letter ISO 3166-1 alpha-2 country code such as 'US' (it is 'USA')",
            "billing_address.postal_code is required",
        ] {
            assert!(r.contains(part), "{part} not in: {r}");
        }
        assert_eq!(r.matches("; ").count(), 7, "{r}");
    }

    #[test]
    fn codes_say_how_to_write_them() {
        let mut a = address();
        a.country = "us".into();
        a.state_province_region = "ia".into();
        let r = reason("src_1", "Card", &a);
        assert!(r.contains("country must be in upper case: 'US'"), "{r}");
        assert!(
            r.contains("state_province_region must be in upper case: 'IA'"),
            "{r}"
        );
        a.country = "UK".into();
        a.state_province_region = "I1".into();
        let r = reason("src_1", "Card", &a);
        assert!(r.contains("the United Kingdom is 'GB'"), "{r}");
        assert!(r.contains("two-letter state"), "{r}");
        a.country = "XK".into();
        let r = reason("src_1", "Card", &a);
        assert!(
            r.contains("'XK' is not an assigned ISO 3166-1 alpha-2 country code"),
            "{r}"
        );
        a.country = "U\u{0}".into();
        let r = reason("src_1", "Card", &a);
        assert!(r.contains("such as 'US'"), "{r}");
        a = address();
        a.city = "Des\nMoines".into();
        assert!(reason("src_1", "Card", &a).contains("city contains a control character"));
    }

    #[test]
    fn the_card_token_is_never_repeated() {
        let a = address();
        let r = reason("", "Card", &a);
        assert!(r.contains("card_token is empty"), "{r}");
        let secret = "src_secret 4242424242424242";
        let r = reason(secret, "Card", &a);
        assert!(r.contains("card_token contains whitespace"), "{r}");
        assert!(!r.contains("src_secret") && !r.contains("4242"), "{r}");
        let r = reason("src_secret", " ", &a);
        assert!(
            r.contains("name is required") && !r.contains("src_secret"),
            "{r}"
        );
    }
}
