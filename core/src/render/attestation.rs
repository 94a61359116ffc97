//! The printable attestation for the holder: an A4 SVG page with the QR code and a readable
//! summary (name, date of birth, test, result, sample time, validity, issuer).

use super::qr::{QUIET_ZONE_MODULES, QrMatrix};
use crate::dcc::value_sets;
use crate::dcc::{Dcc, Entry};
use crate::protocol::TransferCode;
use crate::time::UnixTime;

/// An A4 page (210 x 297 mm) in SVG.
pub fn attestation_svg(dcc: &Dcc, expires_at: UnixTime, qr: &QrMatrix) -> String {
    attestation_page(dcc, expires_at, qr, None, None)
}

/// The page of a provisional pass (the signed paper fallback): marked provisional in a framed
/// banner under the title, naming the pharmacy that signed it, so the holder and a controller
/// without a scanner know it stands until the final pass replaces it. With the traveller's
/// transfer code, the page prints it: the final pass is delivered to the wallet that made it.
pub fn provisional_attestation_svg(
    dcc: &Dcc,
    expires_at: UnixTime,
    qr: &QrMatrix,
    pharmacy: &str,
    transfer_code: Option<&TransferCode>,
) -> String {
    attestation_page(dcc, expires_at, qr, Some(pharmacy), transfer_code)
}

fn attestation_page(
    dcc: &Dcc,
    expires_at: UnixTime,
    qr: &QrMatrix,
    provisional: Option<&str>,
    transfer_code: Option<&TransferCode>,
) -> String {
    // Each label in French, then English, as the French paper certificates of 2021 printed them.
    let mut rows: Vec<((&str, &str), String)> = Vec::new();
    let name = &dcc.name;
    // A provisional pass may carry the ICAO form only (fallback::NameForm): shown then, its
    // fillers as spaces, rather than an empty name.
    let as_printed = |entered: &Option<String>, icao: &Option<String>| {
        entered.clone().or_else(|| icao.as_ref().map(|icao| icao.replace('<', " "))).unwrap_or_default()
    };
    rows.push((
        ("Nom", "Name"),
        format!(
            "{} {}",
            as_printed(&name.given_name, &name.given_name_transliterated),
            as_printed(&name.family_name, &name.family_name_transliterated)
        )
        .trim()
        .to_owned(),
    ));
    rows.push((
        ("Nom (OACI 9303)", "Name (ICAO 9303)"),
        format!(
            "{}<<{}",
            name.family_name_transliterated.as_deref().unwrap_or(""),
            name.given_name_transliterated.as_deref().unwrap_or("")
        ),
    ));
    let date_of_birth = dcc.date_of_birth.to_string();
    rows.push((
        ("Date de naissance", "Date of birth"),
        if date_of_birth.is_empty() { "unknown".into() } else { date_of_birth },
    ));
    let mut title = ("Certificat COVID numérique de l'UE", "EU Digital COVID Certificate");
    if let Entry::Test(test) = &dcc.entry {
        title = ("Certificat COVID numérique de l'UE : test", "EU Digital COVID Certificate: test");
        rows.push((
            ("Maladie", "Disease"),
            value_sets::DISEASES.get(&test.disease).map_or(test.disease.clone(), |entry| entry.display.to_owned()),
        ));
        rows.push((
            ("Type de test", "Test type"),
            value_sets::TEST_TYPES
                .get(&test.test_type)
                .map_or(test.test_type.clone(), |entry| entry.display.to_owned()),
        ));
        if let Some(device) = &test.device {
            rows.push((
                ("Dispositif de test", "Test device"),
                value_sets::TEST_DEVICES
                    .get(device)
                    .map_or(device.clone(), |entry| format!("{} ({device})", entry.display)),
            ));
        }
        if let Some(test_name) = &test.test_name {
            rows.push((("Nom du test", "Test name"), test_name.clone()));
        }
        rows.push((
            ("Résultat", "Result"),
            value_sets::TEST_RESULTS.get(&test.result).map_or(test.result.clone(), |entry| entry.display.to_owned()),
        ));
        rows.push((("Prélèvement", "Sample taken"), format_time(test.sample_time)));
        if let Some(centre) = &test.centre {
            rows.push((("Centre de test", "Test centre"), centre.clone()));
        }
    }
    rows.push((("Valide jusqu'au", "Valid until"), format_time(expires_at)));
    rows.push((
        ("Pays", "Country"),
        value_sets::COUNTRIES
            .get(dcc.entry_country())
            .map_or(dcc.entry_country().to_owned(), |entry| entry.display.to_owned()),
    ));
    let issuer = match &dcc.entry {
        Entry::Test(test) => test.issuer.clone(),
        Entry::Vaccination(entry) => entry.issuer.clone(),
        Entry::Recovery(entry) => entry.issuer.clone(),
    };
    rows.push((("Émetteur", "Issuer"), issuer));
    rows.push((("Identifiant du certificat", "Certificate identifier"), dcc.certificate_id().to_owned()));
    if let Some(code) = transfer_code {
        rows.push((("Code de transfert", "Transfer code"), code.to_string()));
    }

    // Smaller under the provisional banner, so the bilingual rows still fit the page.
    let qr_size = if provisional.is_some() { 96.0 } else { 110.0 };
    let qr_side = qr.width() + 2 * QUIET_ZONE_MODULES as usize;
    let mut svg = String::new();
    svg.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"210mm\" height=\"297mm\" viewBox=\"0 0 210 297\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n");
    svg.push_str("<rect width=\"210\" height=\"297\" fill=\"#fff\"/>\n");
    svg.push_str(&format!(
        "<text x=\"105\" y=\"17\" font-size=\"6\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n",
        escape(title.0)
    ));
    svg.push_str(&format!(
        "<text x=\"105\" y=\"24\" font-size=\"5\" text-anchor=\"middle\" fill=\"#444\">{}</text>\n",
        escape(title.1)
    ));
    let qr_top: f64 = if let Some(pharmacy) = provisional {
        svg.push_str("<rect x=\"15\" y=\"28\" width=\"180\" height=\"25\" fill=\"#fff4d6\" stroke=\"#b36b00\" stroke-width=\"0.6\"/>\n");
        let banner = [
            ("bold", "PROVISOIRE : signé pendant l'indisponibilité du service central".to_owned()),
            ("bold", "PROVISIONAL: signed while the central service was unavailable".to_owned()),
            ("normal", format!("par / by {}", escape(pharmacy))),
            ("normal", "remplacé par le certificat définitif, de même identifiant".to_owned()),
            ("normal", "replaced by the final certificate, with the same identifier".to_owned()),
        ];
        for (index, (weight, line)) in banner.iter().enumerate() {
            svg.push_str(&format!(
                "<text x=\"105\" y=\"{:.1}\" font-size=\"3.2\" text-anchor=\"middle\" font-weight=\"{weight}\" fill=\"#8a5200\">{line}</text>\n",
                32.3 + 4.6 * index as f64
            ));
        }
        57.0
    } else {
        30.0
    };
    svg.push_str(&format!(
        "<svg x=\"{}\" y=\"{qr_top}\" width=\"{qr_size}\" height=\"{qr_size}\" viewBox=\"0 0 {qr_side} {qr_side}\" shape-rendering=\"crispEdges\"><rect width=\"{qr_side}\" height=\"{qr_side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{}\"/></svg>\n",
        (210.0 - qr_size) / 2.0,
        qr.svg_path()
    ));
    let mut y: f64 = qr_top + qr_size + 10.0;
    for ((french, english), value) in rows {
        let top = y;
        svg.push_str(&format!("<text x=\"25\" y=\"{y:.1}\" font-size=\"3.4\" fill=\"#444\">{}</text>", escape(french)));
        svg.push_str(&format!(
            "<text x=\"25\" y=\"{:.1}\" font-size=\"2.8\" fill=\"#777\" font-style=\"italic\">{}</text>",
            y + 3.0,
            escape(english)
        ));
        for line in wrap(&value, VALUE_COLUMN_CHARACTERS) {
            svg.push_str(&format!("<text x=\"75\" y=\"{y:.1}\" font-size=\"4.2\">{}</text>\n", escape(&line)));
            y += 5.2;
        }
        y = y.max(top + 6.4) + 1.8;
    }
    svg.push_str(&format!(
        "<text x=\"105\" y=\"285\" font-size=\"3\" text-anchor=\"middle\" fill=\"#666\">Scannez le code pour vérifier. Valable uniquement avec une pièce d'identité.</text>\n<text x=\"105\" y=\"290\" font-size=\"3\" text-anchor=\"middle\" fill=\"#666\">Scan the code to verify. Valid only with an identity document. QR version {}, error correction Q.</text>\n",
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
    fn labels_are_in_french_and_english_and_rows_stay_above_the_footer() {
        let (dcc, expires_at, qr) = sample_page_inputs();
        for page in [
            attestation_svg(&dcc, expires_at, &qr),
            provisional_attestation_svg(&dcc, expires_at, &qr, "Pharmacie", None),
        ] {
            for label in ["Date de naissance", "Date of birth", "Résultat", "Result", "Valide jusqu'au", "Valid until"]
            {
                assert!(page.contains(&escape(label)), "{label}");
            }
            assert!(page.contains(&escape("Certificat COVID numérique de l'UE")));
            let lowest_row = page
                .split("<text x=\"75\" y=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next()?.parse::<f64>().ok())
                .fold(0.0, f64::max);
            assert!(lowest_row < 282.0, "rows reach {lowest_row} mm, into the footer");
        }
    }

    /// A rapid test with a device whose name wraps, a test name and a centre: every row there is.
    fn sample_page_inputs() -> (Dcc, UnixTime, QrMatrix) {
        use crate::issue::test_certificate::build_test_dcc;
        use crate::issue::{IssuingPolicy, TestCertificateRequest, TestResult, TestType};
        let now = UnixTime::parse_rfc3339("2027-01-01T10:00:00Z").unwrap();
        let request = TestCertificateRequest {
            family_name: "Dubois-Lefèvre".into(),
            given_name: "Marie Hélène".into(),
            date_of_birth: "1987-04-12".into(),
            test_type: TestType::RapidAntigen,
            device: Some("1232".into()),
            test_name: Some("A test name long enough to wrap onto a second line of the value column".into()),
            sampled_at: now.saturating_sub(3_600),
            result: TestResult::Negative,
            centre: "Pharmacie du Centre, Lyon".into(),
            country: "FR".into(),
            issuer: "Ministère des Solidarités et de la Santé".into(),
        };
        let dcc = build_test_dcc(&request, &IssuingPolicy::default(), now, "URN:UVCI:01:FR:ABC#1".into()).unwrap();
        (dcc, now.saturating_add(72 * 3_600), QrMatrix::for_text("HC1:TEST").unwrap())
    }

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
