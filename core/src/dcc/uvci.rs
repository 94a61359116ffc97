//! Unique vaccination certificate / assertion identifiers (UVCI, eHN guidelines Annex 2):
//! `URN:UVCI:01:<country>:<opaque>#<check>`, with a Luhn mod N check character over the
//! characters before `#` (eu-dcc-schema examples/Luhn-Mod-N).

/// The code points of Luhn mod N for the DCC: A–Z, 0–9, `/` and `:` (N = 38).
const CODE_POINTS: &[u8; 38] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:";
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UvciError {
    #[error("a UVCI may only hold A-Z, 0-9, '/' and ':' before its check character")]
    InvalidCharacter,
    #[error("the check character does not match")]
    CheckMismatch,
    #[error("not of the form URN:UVCI:01:<country>:<identifier>#<check>")]
    Malformed,
}

fn code_point(character: u8) -> Option<u32> {
    CODE_POINTS.iter().position(|&point| point == character).map(|index| index as u32)
}

fn luhn_sum(text: &[u8], mut factor: u32) -> Result<u32, UvciError> {
    let n = CODE_POINTS.len() as u32;
    let mut total = 0;
    for &character in text.iter().rev() {
        let addend = factor * code_point(character).ok_or(UvciError::InvalidCharacter)?;
        factor = if factor == 2 { 1 } else { 2 };
        total += addend / n + addend % n;
    }
    Ok(total % n)
}

/// The Luhn mod N check character of `text`.
pub fn check_character(text: &str) -> Result<char, UvciError> {
    let n = CODE_POINTS.len() as u32;
    let remainder = luhn_sum(text.as_bytes(), 2)?;
    let index = ((n - remainder) % n) as usize;
    CODE_POINTS.get(index).map(|&point| char::from(point)).ok_or(UvciError::InvalidCharacter)
}

/// Checks `URN:UVCI:...#C`: the check character over everything before `#`.
pub fn validate(uvci: &str) -> Result<(), UvciError> {
    let (body, check) = uvci.rsplit_once('#').ok_or(UvciError::Malformed)?;
    if !body.starts_with("URN:UVCI:") || check.len() != 1 {
        return Err(UvciError::Malformed);
    }
    let mut with_check = body.as_bytes().to_vec();
    with_check.extend_from_slice(check.as_bytes());
    if luhn_sum(&with_check, 1)? == 0 { Ok(()) } else { Err(UvciError::CheckMismatch) }
}

fn base32_digit(value: u32) -> Option<char> {
    BASE32.get((value & 31) as usize).map(|&digit| char::from(digit))
}

/// A new UVCI for `country`: the issuer's prefix, then 128 random bits in base32 (26
/// characters), then the check character.
pub fn generate(country: &str, issuer_prefix: &str, random: [u8; 16]) -> Result<String, UvciError> {
    let mut opaque = String::with_capacity(26);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in random {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            opaque.extend(base32_digit(buffer >> bits));
        }
    }
    if bits > 0 {
        opaque.extend(base32_digit(buffer << (5 - bits)));
    }
    let body = format!("URN:UVCI:01:{country}:{issuer_prefix}/{opaque}");
    let check = check_character(&body)?;
    Ok(format!("{body}#{check}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_implementation() {
        // Values computed by eu-dcc-schema examples/Luhn-Mod-N/luhn_mod_n.py (its docstring's
        // "S" for the first is stale; the code gives "H").
        assert_eq!(check_character("URN:UVCI:01:NL:MY/INPUT/STRING").unwrap(), 'H');
        assert_eq!(check_character("URN:UVCI:01:NL:187/37512422923").unwrap(), 'Z');
        // eu-dcc-schema examples: "ci": "URN:UVCI:01:NL:DADFCC47C7334E45A906DB12FD859FB7#1".
        assert_eq!(validate("URN:UVCI:01:NL:DADFCC47C7334E45A906DB12FD859FB7#1"), Ok(()));
        assert_eq!(validate("URN:UVCI:01:NL:DADFCC47C7334E45A906DB12FD859FB7#2"), Err(UvciError::CheckMismatch));
    }

    #[test]
    fn detects_single_substitutions_and_adjacent_swaps() {
        let uvci = generate("FR", "HP7", [0x5a; 16]).unwrap();
        assert!(uvci.starts_with("URN:UVCI:01:FR:HP7/"));
        assert_eq!(validate(&uvci), Ok(()));
        let body = &uvci[..uvci.len() - 2];
        for position in "URN:UVCI:".len()..body.len() {
            let mut changed = uvci.clone().into_bytes();
            changed[position] = if changed[position] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(changed).unwrap();
            if changed != uvci {
                assert_eq!(validate(&changed), Err(UvciError::CheckMismatch), "{changed}");
            }
        }
        assert_eq!(validate("URN:UVCI:01:FR:abc#A"), Err(UvciError::InvalidCharacter));
        assert_eq!(validate("no hash"), Err(UvciError::Malformed));
    }
}
