//! Machine-readable names (`fnt`, `gnt`) by ICAO Doc 9303 Part 3 §6: A–Z and `<` only.
//!
//! Latin letters with diacritics follow the multinational Latin table (Ä→AE, Å→AA, Æ→AE,
//! Ö→OE, Ø→OE, Ü→UE, ß→SS, Þ→TH, Ĳ→IJ, Œ→OE, the rest to their base letter); Cyrillic follows
//! the Cyrillic table (Ж→ZH, Х→KH, Ц→TS, Щ→SHCH, Ъ→IE, Ю→IU, Я→IA, Ь omitted, …); Arabic
//! follows Appendix B's X-scheme (ح→XH, ص→XSS, ة→XTA or XAH at the end of a name part,
//! vowel marks omitted; eu-dcc-schema examples/test/transliterated.json). Spaces, hyphens and
//! commas separate name parts with a single `<`; apostrophes and periods are dropped.
//! Other scripts are refused: the pharmacist then enters the Latin form from the passport.

/// Why a name cannot be transliterated. No part of the name is included (personal data).
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransliterationError {
    #[error(
        "contains {script} characters, which ICAO 9303 does not transliterate; enter the name in Latin letters as in the passport's machine-readable zone"
    )]
    UnsupportedScript { script: &'static str },
    #[error("contains digits or symbols; names hold letters, spaces, hyphens and apostrophes only")]
    NotALetter,
    #[error("has no letters")]
    Empty,
}

/// `Dubois-Lefèvre` → `DUBOIS<LEFEVRE`.
pub fn transliterate(name: &str) -> Result<String, TransliterationError> {
    let mut out = String::with_capacity(name.len() + 8);
    let mut pending_separator = false;
    let characters: Vec<char> = name.chars().collect();
    for (index, &character) in characters.iter().enumerate() {
        if matches!(character, ' ' | '-' | ',' | '\u{2010}' | '\u{2011}' | '\u{00A0}' | '\t') {
            pending_separator = !out.is_empty();
            continue;
        }
        if matches!(character, '\'' | '\u{2019}' | '\u{2018}' | '`' | '.' | '\u{02BC}') {
            continue;
        }
        let ends_part = characters.get(index + 1).is_none_or(|next| !is_arabic_letter(*next));
        let mapped = map_character(character, ends_part)?;
        if mapped.is_empty() {
            continue;
        }
        if pending_separator {
            out.push('<');
            pending_separator = false;
        }
        out.push_str(mapped);
    }
    if out.is_empty() {
        return Err(TransliterationError::Empty);
    }
    Ok(out)
}

fn is_arabic_letter(character: char) -> bool {
    ('\u{0621}'..='\u{064A}').contains(&character) && character != '\u{0640}'
}

fn map_character(character: char, ends_part: bool) -> Result<&'static str, TransliterationError> {
    if character.is_ascii_alphabetic() {
        let index = (character.to_ascii_uppercase() as u8 - b'A') as usize;
        return ASCII_UPPER.get(index).copied().ok_or(TransliterationError::NotALetter);
    }
    if character.is_ascii() {
        return Err(TransliterationError::NotALetter);
    }
    if let Some(mapped) = latin(character).or_else(|| cyrillic(character)).or_else(|| arabic(character, ends_part)) {
        return Ok(mapped);
    }
    // Any other precomposed Latin letter (Vietnamese ễ, ơ, ư; ḥ, ṣ, …) maps to its base letter,
    // as the ICAO table does for the accented letters it lists: take the canonical
    // decomposition's first character when it is a plain letter.
    if let Some(base) = base_letter(character) {
        return map_character(base, ends_part);
    }
    // Combining diacritical marks (a decomposed é is e + U+0301) carry no letter of their own.
    if ('\u{0300}'..='\u{036F}').contains(&character) {
        return Ok("");
    }
    Err(match character {
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => {
            TransliterationError::UnsupportedScript { script: "Greek" }
        }
        '\u{0590}'..='\u{05FF}' => TransliterationError::UnsupportedScript { script: "Hebrew" },
        '\u{0600}'..='\u{06FF}' => TransliterationError::UnsupportedScript { script: "Persian or Urdu" },
        '\u{0530}'..='\u{058F}' => TransliterationError::UnsupportedScript { script: "Armenian" },
        '\u{10A0}'..='\u{10FF}' => TransliterationError::UnsupportedScript { script: "Georgian" },
        '\u{0900}'..='\u{0DFF}' => TransliterationError::UnsupportedScript { script: "Indic" },
        '\u{0E00}'..='\u{0E7F}' => TransliterationError::UnsupportedScript { script: "Thai" },
        '\u{3040}'..='\u{30FF}' => TransliterationError::UnsupportedScript { script: "Japanese" },
        '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' => {
            TransliterationError::UnsupportedScript { script: "Korean" }
        }
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' => {
            TransliterationError::UnsupportedScript { script: "Chinese" }
        }
        other if other.is_alphabetic() => TransliterationError::UnsupportedScript { script: "non-Latin" },
        _ => TransliterationError::NotALetter,
    })
}

/// The first character of the canonical decomposition, when it differs (é → e).
fn base_letter(character: char) -> Option<char> {
    let mut first = None;
    unicode_normalization::char::decompose_canonical(character, |part| {
        first.get_or_insert(part);
    });
    first.filter(|base| *base != character)
}

const ASCII_UPPER: [&str; 26] = [
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W",
    "X", "Y", "Z",
];

/// ICAO 9303 Part 3, transliteration of multinational Latin-based characters.
fn latin(character: char) -> Option<&'static str> {
    Some(match character {
        'À' | 'Á' | 'Â' | 'Ã' | 'à' | 'á' | 'â' | 'ã' | 'Ā' | 'ā' | 'Ă' | 'ă' | 'Ą' | 'ą' | 'Ǎ' | 'ǎ' => {
            "A"
        }
        'Ä' | 'ä' | 'Æ' | 'æ' | 'Ǽ' | 'ǽ' => "AE",
        'Å' | 'å' => "AA",
        'Ç' | 'ç' | 'Ć' | 'ć' | 'Ĉ' | 'ĉ' | 'Ċ' | 'ċ' | 'Č' | 'č' => "C",
        'Ð' | 'ð' | 'Ď' | 'ď' | 'Đ' | 'đ' => "D",
        'È' | 'É' | 'Ê' | 'Ë' | 'è' | 'é' | 'ê' | 'ë' | 'Ē' | 'ē' | 'Ĕ' | 'ĕ' | 'Ė' | 'ė' | 'Ę' | 'ę' | 'Ě' | 'ě' => {
            "E"
        }
        'Ĝ' | 'ĝ' | 'Ğ' | 'ğ' | 'Ġ' | 'ġ' | 'Ģ' | 'ģ' => "G",
        'Ĥ' | 'ĥ' | 'Ħ' | 'ħ' => "H",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'ì' | 'í' | 'î' | 'ï' | 'Ĩ' | 'ĩ' | 'Ī' | 'ī' | 'Ĭ' | 'ĭ' | 'Į' | 'į' | 'İ' | 'ı' => {
            "I"
        }
        'Ĳ' | 'ĳ' => "IJ",
        'Ĵ' | 'ĵ' => "J",
        'Ķ' | 'ķ' | 'ĸ' => "K",
        'Ĺ' | 'ĺ' | 'Ļ' | 'ļ' | 'Ľ' | 'ľ' | 'Ŀ' | 'ŀ' | 'Ł' | 'ł' => "L",
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ņ' | 'ņ' | 'Ň' | 'ň' | 'ŉ' | 'Ŋ' | 'ŋ' => "N",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'ò' | 'ó' | 'ô' | 'õ' | 'Ō' | 'ō' | 'Ŏ' | 'ŏ' | 'Ő' | 'ő' | 'Ǒ' | 'ǒ' => {
            "O"
        }
        'Ö' | 'ö' | 'Ø' | 'ø' | 'Œ' | 'œ' | 'Ǿ' | 'ǿ' => "OE",
        'Ŕ' | 'ŕ' | 'Ŗ' | 'ŗ' | 'Ř' | 'ř' => "R",
        'Ś' | 'ś' | 'Ŝ' | 'ŝ' | 'Ş' | 'ş' | 'Š' | 'š' | 'Ș' | 'ș' | 'ſ' => "S",
        'ß' | 'ẞ' => "SS",
        'Ţ' | 'ţ' | 'Ť' | 'ť' | 'Ŧ' | 'ŧ' | 'Ț' | 'ț' => "T",
        'Þ' | 'þ' => "TH",
        'Ù' | 'Ú' | 'Û' | 'ù' | 'ú' | 'û' | 'Ũ' | 'ũ' | 'Ū' | 'ū' | 'Ŭ' | 'ŭ' | 'Ů' | 'ů' | 'Ű' | 'ű' | 'Ų' | 'ų'
        | 'Ǔ' | 'ǔ' => "U",
        'Ü' | 'ü' => "UE",
        'Ŵ' | 'ŵ' => "W",
        'Ý' | 'ý' | 'ÿ' | 'Ŷ' | 'ŷ' | 'Ÿ' => "Y",
        'Ź' | 'ź' | 'Ż' | 'ż' | 'Ž' | 'ž' => "Z",
        _ => return None,
    })
}

/// ICAO 9303 Part 3, transliteration of Cyrillic characters (Russian, Ukrainian, Belarusian,
/// Bulgarian, Serbian, Macedonian letters).
fn cyrillic(character: char) -> Option<&'static str> {
    let lower = character.to_lowercase().next().unwrap_or(character);
    Some(match lower {
        'а' => "A",
        'б' => "B",
        'в' => "V",
        'г' | 'ґ' | 'ѓ' => "G",
        'д' | 'ђ' => "D",
        'е' | 'ё' | 'э' => "E",
        'є' => "IE",
        'ж' => "ZH",
        'з' => "Z",
        'ѕ' | 'џ' => "DZ",
        'и' | 'й' | 'і' | 'ї' => "I",
        'ј' => "J",
        'к' | 'ќ' => "K",
        'л' => "L",
        'љ' => "LJ",
        'м' => "M",
        'н' => "N",
        'њ' => "NJ",
        'о' => "O",
        'п' => "P",
        'р' => "R",
        'с' => "S",
        'т' => "T",
        'ћ' => "C",
        'у' | 'ў' => "U",
        'ф' => "F",
        'х' => "KH",
        'ц' => "TS",
        'ч' => "CH",
        'ш' => "SH",
        'щ' => "SHCH",
        'ъ' => "IE",
        'ы' => "Y",
        'ь' => "",
        'ю' => "IU",
        'я' => "IA",
        _ => return None,
    })
}

/// ICAO 9303 Part 3 Appendix B, the X-scheme for Arabic.
fn arabic(character: char, ends_part: bool) -> Option<&'static str> {
    Some(match character {
        'ء' => "XE",
        'آ' => "XAA",
        'أ' => "XAE",
        'ؤ' => "U",
        'إ' => "I",
        'ئ' => "XI",
        'ا' => "A",
        'ب' => "B",
        // Teh marbuta ends feminine names (فاطمة, Fatimah): XAH there, XTA elsewhere.
        'ة' if ends_part => "XAH",
        'ة' => "XTA",
        'ت' => "T",
        'ث' => "XTH",
        'ج' => "J",
        'ح' => "XH",
        'خ' => "XKH",
        'د' => "D",
        'ذ' => "XDH",
        'ر' => "R",
        'ز' => "Z",
        'س' => "S",
        'ش' => "XSH",
        'ص' => "XSS",
        'ض' => "XDZ",
        'ط' => "XTT",
        'ظ' => "XZZ",
        'ع' => "E",
        'غ' => "G",
        'ف' => "F",
        'ق' => "Q",
        'ك' => "K",
        'ل' => "L",
        'م' => "M",
        'ن' => "N",
        'ه' => "H",
        'و' => "W",
        'ى' => "XAY",
        'ي' => "Y",
        // Tatweel and the vowel marks (harakat) are not letters.
        '\u{0640}' | '\u{064B}'..='\u{0652}' => "",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_icao_tables_and_the_dcc_examples() {
        assert_eq!(transliterate("Musterfrau-Gößinger").unwrap(), "MUSTERFRAU<GOESSINGER");
        assert_eq!(transliterate("Rogaliński-Król").unwrap(), "ROGALINSKI<KROL");
        assert_eq!(transliterate("François-Joan").unwrap(), "FRANCOIS<JOAN");
        assert_eq!(transliterate("d'Arsøns - van Halen").unwrap(), "DARSOENS<VAN<HALEN");
        assert_eq!(transliterate("Smith-Jones").unwrap(), "SMITH<JONES");
        assert_eq!(transliterate("Ångström Þórsdóttir").unwrap(), "AANGSTROEM<THORSDOTTIR");
        assert_eq!(transliterate("  Charles   Edward ").unwrap(), "CHARLES<EDWARD");
        assert_eq!(transliterate("Jos\u{e9}").unwrap(), transliterate("Jose\u{301}").unwrap());
        assert_eq!(transliterate("Nguyễn Thị Hương").unwrap(), "NGUYEN<THI<HUONG");
    }

    #[test]
    fn transliterates_cyrillic_and_arabic() {
        assert_eq!(transliterate("Щербаков Юрий").unwrap(), "SHCHERBAKOV<IURII");
        assert_eq!(transliterate("Жанна Ковальчук").unwrap(), "ZHANNA<KOVALCHUK");
        // eu-dcc-schema examples/test/transliterated.json
        assert_eq!(transliterate("ابو بكر محمد بن زكريا الرازي").unwrap(), "ABW<BKR<MXHMD<BN<ZKRYA<ALRAZY");
        assert_eq!(transliterate("ناصر").unwrap(), "NAXSSR");
        assert_eq!(transliterate("فاطمة").unwrap(), "FAXTTMXAH");
    }

    #[test]
    fn refuses_what_it_cannot_transliterate_without_echoing_the_name() {
        let error = transliterate("王小明").unwrap_err();
        assert_eq!(error, TransliterationError::UnsupportedScript { script: "Chinese" });
        assert!(!error.to_string().contains('王'));
        assert_eq!(transliterate("Αλέξης").unwrap_err(), TransliterationError::UnsupportedScript { script: "Greek" });
        assert_eq!(transliterate("R2-D2").unwrap_err(), TransliterationError::NotALetter);
        assert_eq!(transliterate(" - ' ").unwrap_err(), TransliterationError::Empty);
    }
}
