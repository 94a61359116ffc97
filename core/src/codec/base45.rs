//! Base45 (RFC 9285): three characters carry two bytes, a final pair carries one byte.

const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Base45Error {
    #[error("character {position} is not in the base45 alphabet (0-9, A-Z, space and $%*+-./:)")]
    InvalidCharacter { position: usize },
    #[error("base45 text has {length} characters; a lone final character cannot encode a byte")]
    DanglingCharacter { length: usize },
    #[error("the base45 group at character {position} encodes {value}, more than fits in its bytes")]
    GroupOverflow { position: usize, value: u32 },
    #[error("base45 text has {length} characters; at most {limit} are accepted")]
    TooLong { length: usize, limit: usize },
}

fn digit_value(byte: u8) -> Option<u32> {
    match byte {
        b'0'..=b'9' => Some(u32::from(byte - b'0')),
        b'A'..=b'Z' => Some(u32::from(byte - b'A') + 10),
        b' ' => Some(36),
        b'$' => Some(37),
        b'%' => Some(38),
        b'*' => Some(39),
        b'+' => Some(40),
        b'-' => Some(41),
        b'.' => Some(42),
        b'/' => Some(43),
        b':' => Some(44),
        _ => None,
    }
}

/// Decodes base45 text of at most `limit` characters.
pub fn decode(text: &str, limit: usize) -> Result<Vec<u8>, Base45Error> {
    let input = text.as_bytes();
    if input.len() > limit {
        return Err(Base45Error::TooLong { length: input.len(), limit });
    }
    if input.len() % 3 == 1 {
        return Err(Base45Error::DanglingCharacter { length: input.len() });
    }
    let mut output = Vec::with_capacity(input.len() / 3 * 2 + 1);
    for (group_index, group) in input.chunks(3).enumerate() {
        let position = group_index * 3;
        let mut value = 0u32;
        for (offset, &byte) in group.iter().enumerate().rev() {
            let digit = digit_value(byte).ok_or(Base45Error::InvalidCharacter { position: position + offset })?;
            value = value * 45 + digit;
        }
        if group.len() == 3 {
            let pair = u16::try_from(value).map_err(|_| Base45Error::GroupOverflow { position, value })?;
            output.extend_from_slice(&pair.to_be_bytes());
        } else {
            let single = u8::try_from(value).map_err(|_| Base45Error::GroupOverflow { position, value })?;
            output.push(single);
        }
    }
    Ok(output)
}

/// Encodes bytes as base45 text.
pub fn encode(bytes: &[u8]) -> String {
    let mut output = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let mut push = |value: usize| output.extend(ALPHABET.get(value % 45).map(|&byte| char::from(byte)));
    for pair in bytes.chunks(2) {
        match *pair {
            [high, low] => {
                let value = usize::from(high) * 256 + usize::from(low);
                push(value);
                push(value / 45);
                push(value / 2025);
            }
            [single] => {
                let value = usize::from(single);
                push(value);
                push(value / 45);
            }
            _ => {}
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9285_examples() {
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(decode("QED8WEX0", 100).unwrap(), b"ietf!");
        assert_eq!(decode("", 100).unwrap(), b"");
    }

    #[test]
    fn rejects_what_rfc9285_forbids() {
        assert_eq!(decode("GGW", 100), Err(Base45Error::GroupOverflow { position: 0, value: 65535 + 1 }));
        assert_eq!(decode("ZZ", 100), Err(Base45Error::GroupOverflow { position: 0, value: 35 + 35 * 45 }));
        assert_eq!(decode("BB8A", 100), Err(Base45Error::DanglingCharacter { length: 4 }));
        assert_eq!(decode("BB8a", 100).unwrap_err(), Base45Error::DanglingCharacter { length: 4 });
        assert_eq!(decode("Bb8", 100), Err(Base45Error::InvalidCharacter { position: 1 }));
        assert_eq!(decode("BB8BB8", 5), Err(Base45Error::TooLong { length: 6, limit: 5 }));
    }

    #[test]
    fn round_trips_every_byte_value() {
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for length in 0..bytes.len() {
            assert_eq!(decode(&encode(&bytes[..length]), usize::MAX).unwrap(), &bytes[..length]);
        }
    }
}
