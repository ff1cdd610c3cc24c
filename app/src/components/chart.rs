//! Charts as plain SVG: bars and lines drawn from figures already on the page, the same markup
//! on the server and in the browser, with no script of their own.
//!
//! Colours and type come from the stylesheet by class, never from `style` attributes, so the
//! Content-Security-Policy needs no exception for them. Every mark carries a `<title>`, which
//! browsers show on hover. The geometry is worked out here, in plain functions the tests read:
//! the value axis ends on a round number above the largest value (its top label inside the
//! drawing), and every bar is named under it, slanted when the names would not fit side by side.

use leptos::prelude::*;

/// Type on the charts: 12 px, about 7 px a character (set in the stylesheet as well).
const FONT: f64 = 12.0;
const CHAR_WIDTH: f64 = 7.0;
/// Room on the left for the value axis's labels, and around the drawing.
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const LEGEND: f64 = 22.0;
/// Slanted names go up to the right at this angle.
const SLANT_DEGREES: f64 = 35.0;
/// The most steps the value axis is divided into.
const MAX_STEPS: f64 = 5.0;

/// A series' colour, named by the stylesheet (`.hue-teal`, `.hue-amber`), readable on both the
/// light and the dark background.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hue {
    Teal,
    Amber,
}

impl Hue {
    fn class(self) -> &'static str {
        match self {
            Hue::Teal => "hue-teal",
            Hue::Amber => "hue-amber",
        }
    }
}

/// A value axis from zero to a round top, in whole steps of 1, 2 or 5 times a power of ten.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueAxis {
    pub top: f64,
    pub step: f64,
}

impl ValueAxis {
    /// The axis for values up to `largest`, reaching at least `floor` (so a chart of a few small
    /// counts is not all bar), in at most five steps.
    pub fn fit(largest: f64, floor: f64) -> ValueAxis {
        let span = largest.max(floor).max(1.0);
        let rough = span / MAX_STEPS;
        let power = 10f64.powf(rough.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * power)
            .find(|s| *s >= rough)
            .unwrap_or(10.0 * power)
            .max(1.0)
            .round();
        ValueAxis {
            top: (span / step).ceil() * step,
            step,
        }
    }

    /// The values the axis names, from zero to the top.
    pub fn ticks(self) -> Vec<f64> {
        let steps = (self.top / self.step).round() as usize;
        (0..=steps).map(|i| i as f64 * self.step).collect()
    }
}

/// Where the drawing sits inside the chart's box.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Plot {
    width: f64,
    height: f64,
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Plot {
    fn new(width: f64, height: f64, legend: bool, below: f64) -> Plot {
        let top = TOP + if legend { LEGEND } else { 0.0 };
        Plot {
            width,
            height,
            left: LEFT,
            top,
            right: width - RIGHT,
            bottom: height - below,
        }
    }

    fn y(&self, axis: ValueAxis, value: f64) -> f64 {
        let share = (value / axis.top).clamp(0.0, 1.0);
        self.bottom - share * (self.bottom - self.top)
    }

    fn view_box(&self) -> String {
        format!("0 0 {} {}", self.width, self.height)
    }
}

/// How the names under the bars are set: side by side, or slanted when one would not fit in
/// its bar's slot; and the room they take below the drawing.
fn names_below<'a>(names: impl Iterator<Item = &'a str>, slot: f64) -> (bool, f64) {
    let longest = names.map(|n| n.chars().count()).max().unwrap_or(0) as f64 * CHAR_WIDTH;
    if longest + 4.0 <= slot {
        (false, FONT + 12.0)
    } else {
        let rise = SLANT_DEGREES.to_radians().sin() * longest;
        (true, rise + FONT + 10.0)
    }
}

/// One bar: its name under the axis, its value, its colour, and the words shown on hover.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub name: String,
    pub value: f64,
    pub hue: Hue,
    pub title: String,
}

/// A bar per figure on a value axis, every bar named; with a legend when given one.
#[component]
pub fn BarChart(
    bars: Vec<Bar>,
    axis: ValueAxis,
    width: f64,
    height: f64,
    #[prop(optional)] legend: Vec<(&'static str, Hue)>,
) -> impl IntoView {
    let slot = (width - LEFT - RIGHT) / bars.len().max(1) as f64;
    let (slanted, below) = names_below(bars.iter().map(|b| b.name.as_str()), slot);
    let plot = Plot::new(width, height, !legend.is_empty(), below);
    let bar_width = (slot * 0.7).min(56.0);
    let marks = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let middle = plot.left + slot * (i as f64 + 0.5);
            let y = plot.y(axis, bar.value);
            let label_y = plot.bottom + FONT + 4.0;
            let name = if slanted {
                view! {
                    <text class="name" x=fmt(middle) y=fmt(label_y) text-anchor="end"
                        transform=format!("rotate(-{SLANT_DEGREES} {} {})", fmt(middle), fmt(label_y))>
                        {bar.name}
                    </text>
                }
                .into_any()
            } else {
                view! { <text class="name" x=fmt(middle) y=fmt(label_y) text-anchor="middle">{bar.name}</text> }
                    .into_any()
            };
            view! {
                <g>
                    <rect class=format!("bar {}", bar.hue.class()) x=fmt(middle - bar_width / 2.0)
                        y=fmt(y) width=fmt(bar_width) height=fmt(plot.bottom - y)>
                        <title>{bar.title}</title>
                    </rect>
                    {name}
                </g>
            }
        })
        .collect_view();
    view! {
        <svg viewBox=plot.view_box() width=fmt(width) height=fmt(height) aria-hidden="true">
            <Grid plot axis/>
            {marks}
            <Legend plot legend/>
        </svg>
    }
}

/// One line: its name in the legend, its colour, and a figure per place on the x axis.
#[derive(Clone, Debug, PartialEq)]
pub struct LineSeries {
    pub name: &'static str,
    pub hue: Hue,
    pub values: Vec<f64>,
}

/// A line through a figure per place on the x axis; the places are named under it, as many as
/// fit (the first always, then evenly).
#[component]
pub fn LineChart(
    places: Vec<String>,
    series: Vec<LineSeries>,
    axis: ValueAxis,
    width: f64,
    height: f64,
) -> impl IntoView {
    let legend: Vec<(&'static str, Hue)> = series.iter().map(|s| (s.name, s.hue)).collect();
    let plot = Plot::new(width, height, true, FONT + 12.0);
    let gap = (plot.right - plot.left) / (places.len().max(2) - 1) as f64;
    let x = move |i: usize| plot.left + gap * i as f64;
    let longest = places.iter().map(|p| p.chars().count()).max().unwrap_or(0) as f64;
    let every = named_every(places.len(), gap, longest * CHAR_WIDTH + 12.0);
    let names = places
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, place)| {
            view! {
                <text x=fmt(x(i)) y=fmt(plot.bottom + FONT + 4.0) text-anchor="middle">{place.clone()}</text>
            }
        })
        .collect_view();
    let lines = series
        .into_iter()
        .map(|s| {
            let points = s
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{},{}", fmt(x(i)), fmt(plot.y(axis, *v))))
                .collect::<Vec<_>>()
                .join(" ");
            let dots = s
                .values
                .iter()
                .zip(&places)
                .enumerate()
                .map(|(i, (v, place))| {
                    view! {
                        <circle class=format!("dot {}", s.hue.class()) cx=fmt(x(i)) cy=fmt(plot.y(axis, *v)) r="3.5">
                            <title>{format!("{place}: {v} {}", s.name.to_lowercase())}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                <g>
                    <polyline class=format!("line {}", s.hue.class()) points=points/>
                    {dots}
                </g>
            }
        })
        .collect_view();
    view! {
        <svg viewBox=plot.view_box() width=fmt(width) height=fmt(height) aria-hidden="true">
            <Grid plot axis/>
            {names}
            {lines}
            <Legend plot legend/>
        </svg>
    }
}

/// Every how many places a name is shown so that names `room` wide, `gap` apart, never touch.
fn named_every(places: usize, gap: f64, room: f64) -> usize {
    if places == 0 || gap <= 0.0 {
        return 1;
    }
    ((room / gap).ceil() as usize).max(1)
}

/// The value axis: a labelled grid line per step, and the two axis lines.
#[component]
fn Grid(plot: Plot, axis: ValueAxis) -> impl IntoView {
    let steps = axis
        .ticks()
        .into_iter()
        .map(|v| {
            let y = fmt(plot.y(axis, v));
            view! {
                <line class="grid" x1=fmt(plot.left) x2=fmt(plot.right) y1=y.clone() y2=y.clone()/>
                <text x=fmt(plot.left - 6.0) y=y dy="0.35em" text-anchor="end">{fmt(v)}</text>
            }
        })
        .collect_view();
    view! {
        <g class="axis">
            {steps}
            <line class="axis-line" x1=fmt(plot.left) x2=fmt(plot.left) y1=fmt(plot.top) y2=fmt(plot.bottom)/>
            <line class="axis-line" x1=fmt(plot.left) x2=fmt(plot.right) y1=fmt(plot.bottom) y2=fmt(plot.bottom)/>
        </g>
    }
}

/// The series' names and colours, along the top right.
#[component]
fn Legend(plot: Plot, legend: Vec<(&'static str, Hue)>) -> impl IntoView {
    let mut end = plot.right;
    let keys = legend
        .into_iter()
        .rev()
        .map(|(name, hue)| {
            let text_x = end - name.chars().count() as f64 * CHAR_WIDTH;
            let key_x = text_x - 16.0;
            end = key_x - 14.0;
            view! {
                <rect class=format!("bar {}", hue.class()) x=fmt(key_x) y=fmt(TOP - 2.0) width="11" height="11"/>
                <text x=fmt(text_x) y=fmt(TOP + 7.0)>{name}</text>
            }
        })
        .collect_view();
    view! { <g class="legend">{keys}</g> }
}

/// A coordinate to a tenth of a pixel, without a trailing ".0".
fn fmt(v: f64) -> String {
    let tenths = (v * 10.0).round() / 10.0;
    if tenths.fract() == 0.0 {
        format!("{}", tenths as i64)
    } else {
        format!("{tenths:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_axis_ends_on_a_round_number_at_or_above_the_largest_value() {
        for (largest, floor, top, step) in [
            (0.0, 4.0, 4.0, 1.0),
            (3.0, 4.0, 4.0, 1.0),
            (5.0, 5.0, 5.0, 1.0),
            (17.0, 4.0, 20.0, 5.0),
            (41.0, 4.0, 50.0, 10.0),
            (1234.0, 4.0, 1500.0, 500.0),
        ] {
            assert_eq!(
                ValueAxis::fit(largest, floor),
                ValueAxis { top, step },
                "{largest}"
            );
        }
        for largest in [0.0, 1.0, 7.0, 9.0, 10.0, 11.0, 99.0, 101.0, 4_999.0, 1e6] {
            let axis = ValueAxis::fit(largest, 4.0);
            assert!(axis.top >= largest, "{largest}: {axis:?}");
            assert!(
                axis.step >= 1.0 && axis.step.fract() == 0.0,
                "{largest}: {axis:?}"
            );
            assert!(axis.ticks().len() <= 6, "{largest}: {axis:?}");
            assert_eq!(axis.ticks().last(), Some(&axis.top));
        }
    }

    #[test]
    fn the_top_of_the_value_axis_and_its_label_lie_inside_the_drawing() {
        let plot = Plot::new(420.0, 240.0, false, 24.0);
        let axis = ValueAxis::fit(17.0, 4.0);
        let top = plot.y(axis, axis.top);
        assert!(
            top - FONT / 2.0 >= 0.0,
            "the top label is not cut off: {top}"
        );
        assert_eq!(plot.y(axis, 0.0), plot.bottom);
        assert_eq!(
            plot.y(axis, 1e9),
            top,
            "a value beyond the axis stays in the drawing"
        );
    }

    #[test]
    fn bar_names_slant_only_when_they_would_not_fit_side_by_side() {
        let four = ["Urgent", "High", "Medium", "Low"];
        let (slanted, _) = names_below(four.into_iter(), (420.0 - LEFT - RIGHT) / 4.0);
        assert!(!slanted, "four priorities fit side by side");
        let long: Vec<String> = (0..16).map(|i| format!("Competitor {i:02}")).collect();
        let (slanted, below) = names_below(
            long.iter().map(String::as_str),
            (860.0 - LEFT - RIGHT) / 16.0,
        );
        assert!(slanted);
        assert!(below > FONT * 4.0, "slanted names get room: {below}");
    }

    #[test]
    fn places_are_named_as_often_as_they_fit() {
        assert_eq!(named_every(5, 200.0, 60.0), 1);
        assert_eq!(named_every(53, 15.0, 54.0), 4);
        assert_eq!(named_every(0, 0.0, 54.0), 1);
    }

    #[test]
    fn coordinates_are_written_short() {
        assert_eq!(fmt(12.0), "12");
        assert_eq!(fmt(12.04), "12");
        assert_eq!(fmt(12.25), "12.3");
        assert_eq!(fmt(-3.5), "-3.5");
    }
}
