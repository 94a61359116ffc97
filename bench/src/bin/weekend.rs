//! The whole weekend with the signed paper fallback (issue 13): 1,000 pharmacies testing at the
//! peak's pace while the central issuer is down for 48 hours; provisional passes during the
//! outage, reconciled under the same UVCI when the issuer is back (`healthpass_tests::
//! fallback_drill`: the real outbox and provisional issuer per pharmacy, a model issuer, one
//! simulated clock). Prints the table and draws passes signed per hour.
//!
//!     cargo run --release --manifest-path bench/Cargo.toml --bin weekend [-- --plot FILE.png]

use std::time::Instant;

use healthpass_tests::fallback_drill::{WeekendConfig, WeekendResult, run_weekend};
use plotters::prelude::*;

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let plot = args.iter().position(|arg| arg == "--plot").and_then(|index| args.get(index + 1)).cloned();
    let config = WeekendConfig::weekend();
    println!(
        "weekend drill: {} pharmacies, a test every {:.0} s each, issuer capacity {:.1}/s, down from hour {} to hour {}, tests until hour {}, {} hours in all",
        config.pharmacies,
        config.entry_interval_seconds,
        config.capacity_per_second,
        config.outage_start / 3_600,
        config.outage_end / 3_600,
        config.entries_until / 3_600,
        config.horizon / 3_600
    );
    let started = Instant::now();
    let result = run_weekend(&config);
    println!(
        "\n| tests | central (green) | provisional (amber) | lost | reconciled, same UVCI | duplicates | reconciled within | peak on return (60 s mean) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {} of {} | {} | {} | {:.2}x C |",
        result.entries,
        result.central,
        result.provisional,
        result.lost,
        result.reconciled,
        result.provisional,
        result.duplicates,
        result.reconciled_within_hours.map_or_else(|| "-".to_owned(), |hours| format!("{hours:.1} h")),
        result.peak_recovery_load
    );
    println!("\nsimulated in {:.1} s", started.elapsed().as_secs_f64());
    if let Some(path) = plot {
        match draw(&path, &config, &result) {
            Ok(()) => println!("plot: {path}"),
            Err(error) => println!("plot not drawn: {error}"),
        }
    }
}

fn draw(path: &str, config: &WeekendConfig, result: &WeekendResult) -> Result<(), Box<dyn std::error::Error>> {
    let font = std::fs::read(FONT).map_err(|error| format!("{FONT}: {error} (apt-get install fonts-dejavu-core)"))?;
    plotters::style::register_font("sans-serif", FontStyle::Normal, Box::leak(font.into_boxed_slice()))
        .map_err(|_| "the font could not be read")?;
    let hours = result.hourly.len().max(1);
    let capacity_per_hour = config.capacity_per_second * 3_600.0;
    let top = (result.hourly.iter().map(|&(a, b, c)| a.max(b).max(c)).max().unwrap_or(1) as f64).max(capacity_per_hour)
        * 1.15;
    let root = BitMapBackend::new(path, (1200, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Passes signed per hour: 48-hour issuer outage, 1,000 pharmacies", ("sans-serif", 26))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..hours as f64, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("hours")
        .y_desc("passes per hour")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()?;
    let outage = [(config.outage_start as f64 / 3_600.0, 0.0), (config.outage_end as f64 / 3_600.0, top)];
    chart
        .draw_series(std::iter::once(Rectangle::new(outage, RGBColor(235, 235, 235).filled())))?
        .label("issuer down")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], RGBColor(215, 215, 215).filled()));
    let capacity = capacity_per_hour;
    chart
        .draw_series(LineSeries::new([(0.0, capacity), (hours as f64, capacity)], BLACK.stroke_width(1)))?
        .label("issuer capacity")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
    let series = [
        ("central passes (green)", RGBColor(40, 140, 60), 0),
        ("provisional passes (amber, on the phones)", RGBColor(220, 140, 0), 1),
        ("final passes of provisional ones (same UVCI)", RGBColor(30, 90, 200), 2),
    ];
    for (label, color, index) in series {
        let points: Vec<(f64, f64)> = result
            .hourly
            .iter()
            .enumerate()
            .map(|(hour, counts)| {
                let value = match index {
                    0 => counts.0,
                    1 => counts.1,
                    _ => counts.2,
                };
                (hour as f64 + 0.5, f64::from(value))
            })
            .collect();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
