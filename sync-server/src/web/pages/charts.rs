//! The pages' pictures (issue 15, part 3), drawn on the server as SVG with no script: the
//! visits per day per worker over the last 30 days as a line chart, and the companies' scores
//! as horizontal bars, the worst first.
//!
//! A small SVG builder of our own rather than `plotters`: plotters' SVG backend writes shapes
//! and text only, with no way to give the picture `role="img"` and an `aria-label`, nor a
//! point or a bar its `<title>` (what a screen reader reads and a mouse shows) or the data
//! attributes the tests read; its text layout also wants fonts on the server to measure text,
//! while in SVG the browser lays out the Chinese text itself. So this module computes the
//! geometry (numbers only, in the units of a fixed `viewBox`) and the templates
//! (`chart_trend.html`, `chart_ratings.html`) write the markup, with every word from the
//! catalogue in the reader's language and every name escaped like any other text.
//!
//! Both pictures are `width="100%"` over a 600-unit-wide `viewBox`, so they fit a 375 px phone
//! and grow on a wall screen. Colours come from CSS classes (`base.html`): on white and on the
//! 大屏's dark ground each series and bar is at least 3:1 (WCAG AA for graphics) and each text
//! at least 4.5:1.

use gridwalk_core::Timestamp;
use gridwalk_core::rules::rating::Color;
use gridwalk_core::store::visit_days::{china_day_number, date_of_day_number, day_number_of_date};
use serde::Serialize;

use crate::state::AppState;
use crate::web::PageError;
use crate::web::extract::Supervisor;
use crate::web::names::Names;

/// Days the trend covers, today included.
pub(crate) const TREND_DAYS: i64 = 30;
/// Width of every chart's `viewBox`.
const WIDTH: f64 = 600.0;
/// The trend's plot area inside its `viewBox` (room for the axes' labels).
const TREND_LEFT: f64 = 44.0;
const TREND_RIGHT: f64 = 566.0;
const TREND_TOP: f64 = 12.0;
const TREND_BOTTOM: f64 = 212.0;
const TREND_HEIGHT: f64 = 240.0;
/// Series colours (CSS classes `s0`…`s7`), reused in turn beyond eight workers.
const SERIES_COLOURS: usize = 8;

/// Visits per day per worker as a line chart.
#[derive(Serialize, Debug)]
pub(crate) struct TrendChart {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// Lines across the plot at round numbers of visits, labelled.
    y_ticks: Vec<Tick>,
    /// Every fifth day from the first and the last, labelled `MM-DD`.
    x_ticks: Vec<Tick>,
    series: Vec<Series>,
    /// The first and last day shown, `YYYY-MM-DD`.
    from: String,
    to: String,
}

/// A labelled position on an axis.
#[derive(Serialize, Debug)]
struct Tick {
    at: f64,
    label: String,
}

/// One worker's line.
#[derive(Serialize, Debug)]
struct Series {
    /// The worker's user name (a data attribute; never shown).
    worker: String,
    /// The worker's display name.
    name: String,
    /// `s0`…`s7`: the colour.
    class: String,
    /// The polyline's points, one per day (days without a visit at 0).
    points: String,
    /// A marked point for each day with visits.
    dots: Vec<Dot>,
    /// Visits in the 30 days.
    total: u32,
}

/// A day with visits.
#[derive(Serialize, Debug)]
struct Dot {
    x: f64,
    y: f64,
    /// `YYYY-MM-DD`, China time.
    day: String,
    /// `MM-DD`, for the title.
    label: String,
    visits: u32,
}

/// A worker's visits per day, before the geometry.
struct WorkerCounts {
    /// User name.
    worker: String,
    /// Display name.
    name: String,
    /// (China-time day number, visits), by day.
    days: Vec<(i64, u32)>,
}

impl WorkerCounts {
    fn total(&self) -> u32 {
        self.days.iter().map(|(_, n)| *n).sum()
    }
}

/// A round ceiling for the axis: 1, 2, 5, 10, 20, 50…
fn nice_ceiling(max: u32) -> u32 {
    let mut step = 1u32;
    loop {
        for m in [1, 2, 5] {
            let v = step.saturating_mul(m);
            if v >= max || v == u32::MAX {
                return v.max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// One decimal place: enough for a picture, and short markup.
fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// `MM-DD` of a date.
fn month_day(d: time::Date) -> String {
    format!("{:02}-{:02}", u8::from(d.month()), d.day())
}

/// The trend's geometry from each worker's visits per day number (China time), the days from
/// `first` to `first + TREND_DAYS - 1`, workers by display name.
fn trend_geometry(first: i64, counts: &[WorkerCounts]) -> TrendChart {
    let max = counts
        .iter()
        .flat_map(|c| c.days.iter().map(|(_, n)| *n))
        .max()
        .unwrap_or(0);
    let top_value = nice_ceiling(max);
    let x_of = |day: i64| {
        round(
            TREND_LEFT
                + (TREND_RIGHT - TREND_LEFT) * (day - first) as f64 / (TREND_DAYS - 1) as f64,
        )
    };
    let y_of = |n: u32| {
        round(TREND_BOTTOM - (TREND_BOTTOM - TREND_TOP) * f64::from(n) / f64::from(top_value))
    };
    let series = counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let days = &c.days;
            let on = |d: i64| {
                days.iter()
                    .find(|(day, _)| *day == d)
                    .map_or(0, |(_, n)| *n)
            };
            let points = (first..first + TREND_DAYS)
                .map(|d| format!("{},{}", x_of(d), y_of(on(d))))
                .collect::<Vec<_>>()
                .join(" ");
            let dots = days
                .iter()
                .filter(|(d, n)| *n > 0 && (first..first + TREND_DAYS).contains(d))
                .map(|(d, n)| {
                    let date = date_of_day_number(*d);
                    Dot {
                        x: x_of(*d),
                        y: y_of(*n),
                        day: date.to_string(),
                        label: month_day(date),
                        visits: *n,
                    }
                })
                .collect();
            Series {
                worker: c.worker.clone(),
                name: c.name.clone(),
                class: format!("s{}", i % SERIES_COLOURS),
                points,
                dots,
                total: c.total(),
            }
        })
        .collect();
    let half = top_value / 2;
    let mut y_values = vec![0, top_value];
    if half > 0 && half * 2 == top_value {
        y_values.insert(1, half);
    }
    TrendChart {
        width: WIDTH,
        height: TREND_HEIGHT,
        left: TREND_LEFT,
        right: TREND_RIGHT,
        top: TREND_TOP,
        bottom: TREND_BOTTOM,
        y_ticks: y_values
            .into_iter()
            .map(|v| Tick {
                at: y_of(v),
                label: v.to_string(),
            })
            .collect(),
        x_ticks: (0..TREND_DAYS)
            .filter(|i| i % 5 == 0 || *i == TREND_DAYS - 1)
            .map(|i| Tick {
                at: x_of(first + i),
                label: month_day(date_of_day_number(first + i)),
            })
            .collect(),
        series,
        from: date_of_day_number(first).to_string(),
        to: date_of_day_number(first + TREND_DAYS - 1).to_string(),
    }
}

/// The reader's area's visits per day per worker over the last [`TREND_DAYS`] days (China
/// time, today included), the busiest worker first. Called on the blocking pool.
pub(crate) fn visits_trend(
    app: &AppState,
    sup: &Supervisor,
    names: &Names,
    now: Timestamp,
) -> Result<TrendChart, PageError> {
    let first = china_day_number(now) - (TREND_DAYS - 1);
    let since = Timestamp::china_midnight(date_of_day_number(first));
    let rows = app.store.visits_per_day(&sup.grids(), since, now)?;
    let mut counts: Vec<WorkerCounts> = Vec::new();
    for r in rows {
        let day = day_number_of_date(r.day);
        match counts.last_mut() {
            Some(c) if c.worker == r.worker => c.days.push((day, r.visits)),
            _ => counts.push(WorkerCounts {
                name: names.person(&r.worker),
                worker: r.worker,
                days: vec![(day, r.visits)],
            }),
        }
    }
    counts.sort_by(|a, b| b.total().cmp(&a.total()).then_with(|| a.name.cmp(&b.name)));
    Ok(trend_geometry(first, &counts))
}

/// Row height of the ratings chart: the name and score on a line, the bar under it, so a long
/// company name has the picture's whole width and the text can be large on a phone.
const BAR_ROW: f64 = 56.0;
/// The full score's bar length (the viewBox is [`WIDTH`] wide).
const BAR_FULL: f64 = 600.0;
/// The bar's thickness.
const BAR_HEIGHT: f64 = 18.0;

/// Companies' scores as horizontal bars, the worst first.
#[derive(Serialize, Debug)]
pub(crate) struct RatingsChart {
    width: f64,
    height: f64,
    /// Where the full score's bar ends.
    full: f64,
    bar_height: f64,
    bars: Vec<Bar>,
}

/// A company's bar.
#[derive(Serialize, Debug)]
pub(crate) struct Bar {
    /// The company's code (for its orders' link).
    pub company: String,
    /// The company's name.
    pub name: String,
    pub score: i32,
    /// `red`, `yellow` or `green`: a CSS class and a `page.*` word.
    pub color: &'static str,
    /// The text's baseline and the bar's top.
    text_y: f64,
    y: f64,
    /// The bar's length.
    length: f64,
}

/// The colour's class and word.
pub(crate) fn color_name(c: Color) -> &'static str {
    match c {
        Color::Red => "red",
        Color::Yellow => "yellow",
        Color::Green => "green",
    }
}

/// The bars for companies `(code, name, score, colour)`, sorted worst first (then by name).
pub(crate) fn ratings_chart(mut companies: Vec<(String, String, i32, Color)>) -> RatingsChart {
    companies.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.1.cmp(&b.1)));
    let bars = companies
        .into_iter()
        .enumerate()
        .map(|(i, (company, name, score, color))| {
            let top = BAR_ROW * i as f64;
            Bar {
                company,
                name,
                score,
                color: color_name(color),
                text_y: top + 24.0,
                y: top + 32.0,
                length: round(BAR_FULL * f64::from(score.clamp(0, 100)) / 100.0),
            }
        })
        .collect::<Vec<_>>();
    RatingsChart {
        width: WIDTH,
        height: BAR_ROW * bars.len() as f64,
        full: BAR_FULL,
        bar_height: BAR_HEIGHT,
        bars,
    }
}

/// The ratings chart of the companies serving the reader's compounds. Called on the blocking
/// pool.
pub(crate) fn area_ratings(
    app: &AppState,
    sup: &Supervisor,
    names: &Names,
    now: Timestamp,
) -> Result<RatingsChart, PageError> {
    let in_area = app.store.companies_in_compounds(&sup.compounds())?;
    let companies = app
        .store
        .company_ratings(now)?
        .into_iter()
        .filter(|r| in_area.contains(&r.company))
        .map(|r| (r.company.clone(), names.place(&r.company), r.score, r.color))
        .collect();
    Ok(ratings_chart(companies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ceilings_are_round() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(u32::MAX), u32::MAX);
    }

    #[test]
    fn a_worker_s_line_has_a_point_each_day_and_a_dot_on_days_with_visits() {
        let first = 20_000;
        let chart = trend_geometry(
            first,
            &[WorkerCounts {
                worker: "wang".into(),
                name: "王".into(),
                days: vec![(first, 2), (first + 29, 4)],
            }],
        );
        let s = &chart.series[0];
        assert_eq!(s.points.split(' ').count(), 30);
        assert_eq!(s.dots.len(), 2);
        assert_eq!((s.dots[0].x, s.dots[1].x), (TREND_LEFT, TREND_RIGHT));
        // 4 is the top of the axis (ceiling 5), 2 below it; 0 on the baseline.
        assert!(s.dots[1].y < s.dots[0].y && s.dots[0].y < TREND_BOTTOM);
        assert!(s.points.contains(&format!(",{TREND_BOTTOM}")));
        assert_eq!(s.total, 6);
        assert_eq!(
            chart.x_ticks.last().unwrap().label,
            month_day(date_of_day_number(first + 29))
        );
    }

    #[test]
    fn ratings_run_worst_first() {
        let chart = ratings_chart(vec![
            ("P1".into(), "甲".into(), 90, Color::Green),
            ("P2".into(), "乙".into(), 30, Color::Red),
            ("P3".into(), "丙".into(), 70, Color::Yellow),
        ]);
        let order: Vec<i32> = chart.bars.iter().map(|b| b.score).collect();
        assert_eq!(order, [30, 70, 90]);
        assert_eq!(chart.bars[0].color, "red");
        assert!(chart.bars[0].length < chart.bars[2].length);
    }
}
