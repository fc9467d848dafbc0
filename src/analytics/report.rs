//! Officer reports as pure functions: monthly sales of groups (islands, municipalities,
//! categories, channels, markets), growth month on month and year on year, and the privacy
//! rules (DOMAIN-JP §6) — a cell with fewer than `k` producers, or where one producer has more
//! than `dominance_bp` of its sales, is suppressed; so are complementary cells, until no
//! suppressed cell in a group's row or a month's column can be recovered by subtracting the
//! others from the row's or column's total (the suppressed cells of a line together pass the
//! same rules), and a total that fails the rules is suppressed too.
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The privacy settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Privacy {
    pub k: usize,
    /// Basis points of a cell's sales one producer may hold (8,000 = 80 %).
    pub dominance_bp: i64,
}

/// One (group, month) cell before suppression: sales per producer, units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    pub by_producer: BTreeMap<Uuid, i64>,
    pub units: i64,
}

impl Cell {
    pub fn sales(&self) -> i64 {
        self.by_producer.values().sum()
    }

    pub fn add(&mut self, other: &Cell) {
        for (p, v) in &other.by_producer {
            *self.by_producer.entry(*p).or_default() += v;
        }
        self.units += other.units;
    }
}

/// Whether `c` may be shown: enough producers and none dominating. An empty cell (no sales)
/// is shown as zero: it tells nothing about anyone.
pub fn passes(c: &Cell, p: Privacy) -> bool {
    let active: Vec<i64> = c
        .by_producer
        .values()
        .copied()
        .filter(|v| *v != 0)
        .collect();
    if active.is_empty() {
        return true;
    }
    let total: i64 = active.iter().sum();
    let top = active.iter().copied().max().unwrap_or(0);
    active.len() >= p.k
        && (total <= 0
            || i128::from(top) * 10_000 <= i128::from(p.dominance_bp) * i128::from(total))
}

/// The cells to suppress in the table `cells` (rows × columns): the primary ones, then
/// complementary ones until every row and column with a suppressed cell has suppressed cells
/// that together pass the rules (so subtracting the shown cells from the line's total reveals
/// nothing about fewer than `k` producers or a dominant one).
pub fn suppress(
    cells: &BTreeMap<(String, String), Cell>,
    p: Privacy,
) -> BTreeSet<(String, String)> {
    let mut out: BTreeSet<(String, String)> = cells
        .iter()
        .filter(|(_, c)| !passes(c, p))
        .map(|(k, _)| k.clone())
        .collect();
    let rows: BTreeSet<String> = cells.keys().map(|(r, _)| r.clone()).collect();
    let cols: BTreeSet<String> = cells.keys().map(|(_, c)| c.clone()).collect();
    loop {
        let mut changed = false;
        let lines: Vec<Vec<(String, String)>> = rows
            .iter()
            .map(|r| {
                cols.iter()
                    .map(|c| (r.clone(), c.clone()))
                    .filter(|k| cells.contains_key(k))
                    .collect()
            })
            .chain(cols.iter().map(|c| {
                rows.iter()
                    .map(|r| (r.clone(), c.clone()))
                    .filter(|k| cells.contains_key(k))
                    .collect()
            }))
            .collect();
        for line in lines {
            let hidden: Vec<&(String, String)> = line.iter().filter(|k| out.contains(*k)).collect();
            if hidden.is_empty() {
                continue;
            }
            let mut union = Cell::default();
            for k in &hidden {
                union.add(&cells[*k]);
            }
            if passes(&union, p) && hidden.len() >= 2 {
                continue;
            }
            // Add the smallest shown non-empty cells of the line until the hidden ones pass
            // together (or nothing is left to hide).
            let mut shown: Vec<&(String, String)> = line
                .iter()
                .filter(|k| !out.contains(*k) && cells[*k].sales() != 0)
                .collect();
            shown.sort_by_key(|k| (cells[*k].sales(), (*k).clone()));
            let mut count = hidden.len();
            for k in shown {
                out.insert(k.clone());
                union.add(&cells[k]);
                count += 1;
                changed = true;
                if passes(&union, p) && count >= 2 {
                    break;
                }
            }
        }
        if !changed {
            return out;
        }
    }
}

/// Growth from `base` to `now`: `None` when both are zero (nothing to say), `Some(None)` for a
/// zero base ("new"), else basis points (10,000 = +100 %; rounded toward zero).
pub fn growth(now: i64, base: i64) -> Option<Option<i64>> {
    match (now, base) {
        (0, 0) => None,
        (_, 0) => Some(None),
        _ => Some(Some(
            i64::try_from((i128::from(now) - i128::from(base)) * 10_000 / i128::from(base))
                .unwrap_or(i64::MAX),
        )),
    }
}

/// The month before `ym` (`YYYY-MM`) and the same month a year earlier.
pub fn previous(ym: &str) -> Option<(String, String)> {
    let (y, m) = ym.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    if !(1..=12).contains(&m) {
        return None;
    }
    let prev = if m == 1 {
        format!("{}-12", y - 1)
    } else {
        format!("{y}-{:02}", m - 1)
    };
    Some((prev, format!("{}-{m:02}", y - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Privacy = Privacy {
        k: 3,
        dominance_bp: 8_000,
    };

    fn cell(sales: &[(u128, i64)]) -> Cell {
        Cell {
            by_producer: sales
                .iter()
                .map(|(p, v)| (Uuid::from_u128(*p), *v))
                .collect(),
            units: 1,
        }
    }

    #[test]
    fn few_producers_or_a_dominant_one_fail() {
        assert!(!passes(&cell(&[(1, 100), (2, 100)]), P));
        assert!(passes(&cell(&[(1, 100), (2, 100), (3, 100)]), P));
        assert!(
            !passes(&cell(&[(1, 900), (2, 50), (3, 50)]), P),
            "90 % is one"
        );
        assert!(
            passes(&cell(&[(1, 800), (2, 100), (3, 100)]), P),
            "80 % is allowed"
        );
        assert!(passes(&Cell::default(), P));
    }

    #[test]
    fn a_lone_suppressed_cell_gets_a_partner_in_its_row_and_column() {
        let mut cells = BTreeMap::new();
        let k = |r: &str, c: &str| (r.to_string(), c.to_string());
        // 竹富 in October has two producers: suppressed; its row and column need partners.
        cells.insert(k("taketomi", "10"), cell(&[(1, 100), (2, 100)]));
        cells.insert(k("taketomi", "11"), cell(&[(1, 100), (2, 100), (3, 100)]));
        cells.insert(k("taketomi", "12"), cell(&[(1, 500), (2, 400), (3, 300)]));
        cells.insert(k("ishigaki", "10"), cell(&[(4, 100), (5, 100), (6, 100)]));
        cells.insert(k("ishigaki", "11"), cell(&[(4, 100), (5, 200), (6, 100)]));
        cells.insert(k("ishigaki", "12"), cell(&[(4, 900), (5, 900), (6, 900)]));
        let hidden = suppress(&cells, P);
        assert!(hidden.contains(&k("taketomi", "10")));
        for line in [
            vec![
                k("taketomi", "10"),
                k("taketomi", "11"),
                k("taketomi", "12"),
            ],
            vec![k("taketomi", "10"), k("ishigaki", "10")],
        ] {
            let n = line.iter().filter(|c| hidden.contains(*c)).count();
            assert!(n >= 2, "{line:?} in {hidden:?}");
        }
    }

    #[test]
    fn growth_says_new_for_a_zero_base() {
        assert_eq!(growth(120, 100), Some(Some(2_000)));
        assert_eq!(growth(50, 100), Some(Some(-5_000)));
        assert_eq!(growth(10, 0), Some(None));
        assert_eq!(growth(0, 0), None);
        assert_eq!(growth(0, 7), Some(Some(-10_000)));
        assert_eq!(
            previous("2026-01"),
            Some(("2025-12".into(), "2025-01".into()))
        );
        assert_eq!(previous("2026-13"), None);
    }
}
