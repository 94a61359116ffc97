//! The printable attestation for the holder: an A4 SVG page with the QR code and a readable
//! summary (name, date of birth, test, result, sample time, validity, issuer).

use super::qr::{QUIET_ZONE_MODULES, QrMatrix};
use crate::dcc::value_sets;
use crate::dcc::{Dcc, Entry};
use crate::time::UnixTime;

/// An A4 page (210 x 297 mm) in SVG.
pub fn attestation_svg(dcc: &Dcc, expires_at: UnixTime, qr: &QrMatrix) -> String {
    attestation_page(dcc, expires_at, qr, None)
}

/// The page of a provisional pass (the signed paper fallback): marked provisional in a framed
/// banner under the title, naming the pharmacy that signed it, so the holder and a controller
/// without a scanner know it stands until the final pass replaces it.
pub fn provisional_attestation_svg(dcc: &Dcc, expires_at: UnixTime, qr: &QrMatrix, pharmacy: &str) -> String {
    attestation_page(dcc, expires_at, qr, Some(pharmacy))
}

fn attestation_page(dcc: &Dcc, expires_at: UnixTime, qr: &QrMatrix, provisional: Option<&str>) -> String {
    let mut rows: Vec<(&str, String)> = Vec::new();
    let name = &dcc.name;
    rows.push((
        "Name",
        format!("{} {}", name.given_name.as_deref().unwrap_or(""), name.family_name.as_deref().unwrap_or(""))
            .trim()
            .to_owned(),
    ));
    rows.push((
        "Name (ICAO 9303)",
        format!(
            "{}<<{}",
            name.family_name_transliterated.as_deref().unwrap_or(""),
            name.given_name_transliterated.as_deref().unwrap_or("")
        ),
    ));
    let date_of_birth = dcc.date_of_birth.to_string();
    rows.push(("Date of birth", if date_of_birth.is_empty() { "unknown".into() } else { date_of_birth }));
    let mut title = "EU Digital COVID Certificate";
    if let Entry::Test(test) = &dcc.entry {
        title = "EU Digital COVID Certificate: test";
        rows.push((
            "Disease",
            value_sets::DISEASES.get(&test.disease).map_or(test.disease.clone(), |entry| entry.display.to_owned()),
        ));
        rows.push((
            "Test type",
            value_sets::TEST_TYPES
                .get(&test.test_type)
                .map_or(test.test_type.clone(), |entry| entry.display.to_owned()),
        ));
        if let Some(device) = &test.device {
            rows.push((
                "Test device",
                value_sets::TEST_DEVICES
                    .get(device)
                    .map_or(device.clone(), |entry| format!("{} ({device})", entry.display)),
            ));
        }
        if let Some(test_name) = &test.test_name {
            rows.push(("Test name", test_name.clone()));
        }
        rows.push((
            "Result",
            value_sets::TEST_RESULTS.get(&test.result).map_or(test.result.clone(), |entry| entry.display.to_owned()),
        ));
        rows.push(("Sample taken", format_time(test.sample_time)));
        if let Some(centre) = &test.centre {
            rows.push(("Test centre", centre.clone()));
        }
    }
    rows.push(("Valid until", format_time(expires_at)));
    rows.push((
        "Country",
        value_sets::COUNTRIES
            .get(dcc.entry_country())
            .map_or(dcc.entry_country().to_owned(), |entry| entry.display.to_owned()),
    ));
    let issuer = match &dcc.entry {
        Entry::Test(test) => test.issuer.clone(),
        Entry::Vaccination(entry) => entry.issuer.clone(),
        Entry::Recovery(entry) => entry.issuer.clone(),
    };
    rows.push(("Issuer", issuer));
    rows.push(("Certificate identifier", dcc.certificate_id().to_owned()));

    let qr_size = 110.0;
    let qr_side = qr.width() + 2 * QUIET_ZONE_MODULES as usize;
    let mut svg = String::new();
    svg.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"210mm\" height=\"297mm\" viewBox=\"0 0 210 297\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n");
    svg.push_str("<rect width=\"210\" height=\"297\" fill=\"#fff\"/>\n");
    svg.push_str(&format!(
        "<text x=\"105\" y=\"22\" font-size=\"7\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n",
        escape(title)
    ));
    let qr_top = if let Some(pharmacy) = provisional {
        svg.push_str("<rect x=\"20\" y=\"27\" width=\"170\" height=\"15\" fill=\"#fff4d6\" stroke=\"#b36b00\" stroke-width=\"0.6\"/>\n");
        svg.push_str("<text x=\"105\" y=\"33\" font-size=\"4.5\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"#8a5200\">PROVISIONAL: signed while the central service was unavailable</text>\n");
        svg.push_str(&format!(
            "<text x=\"105\" y=\"39\" font-size=\"3.6\" text-anchor=\"middle\" fill=\"#8a5200\">by {}; the final certificate, with the same identifier, replaces it</text>\n",
            escape(pharmacy)
        ));
        46.0
    } else {
        30.0
    };
    svg.push_str(&format!(
        "<svg x=\"{}\" y=\"{qr_top}\" width=\"{qr_size}\" height=\"{qr_size}\" viewBox=\"0 0 {qr_side} {qr_side}\" shape-rendering=\"crispEdges\"><rect width=\"{qr_side}\" height=\"{qr_side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{}\"/></svg>\n",
        (210.0 - qr_size) / 2.0,
        qr.svg_path()
    ));
    let mut y = qr_top + qr_size + 12.0;
    for (label, value) in rows {
        svg.push_str(&format!("<text x=\"25\" y=\"{y:.1}\" font-size=\"4\" fill=\"#444\">{}</text>", escape(label)));
        for line in wrap(&value, VALUE_COLUMN_CHARACTERS) {
            svg.push_str(&format!("<text x=\"75\" y=\"{y:.1}\" font-size=\"4.2\">{}</text>\n", escape(&line)));
            y += 5.5;
        }
        y += 2.5;
    }
    svg.push_str(&format!(
        "<text x=\"105\" y=\"285\" font-size=\"3\" text-anchor=\"middle\" fill=\"#666\">Scan the code to verify. Valid only with an identity document. QR version {}, error correction Q.</text>\n",
        qr.version()
    ));
    svg.push_str("</svg>\n");
    svg
}

/// Characters that fit the value column (120 mm at 4.2 mm type).
const VALUE_COLUMN_CHARACTERS: usize = 46;

/// Splits text into lines of at most `width` characters at spaces (or mid-word when a word
/// alone is longer).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn format_time(time: UnixTime) -> String {
    let text = time.to_rfc3339();
    format!("{} {} UTC", text.get(..10).unwrap_or(&text), text.get(11..16).unwrap_or(""))
}

/// XML text escaping: names come from people and may hold any character.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_splits_overlong_words() {
        assert_eq!(
            wrap("Abbott Rapid Diagnostics, Panbio COVID-19 Ag Rapid Test (1232)", 46),
            ["Abbott Rapid Diagnostics, Panbio COVID-19 Ag", "Rapid Test (1232)"]
        );
        assert_eq!(wrap("URN:UVCI:01:FR:HP/BO5JGESP24YTYTEJ6HDBYGATII#U", 20).len(), 3);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
