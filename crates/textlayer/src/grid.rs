//! A spatial hash over boxes, so "is there a label near this one" costs the labels in a few
//! cells, not every label on the page. A hostile page holds tens of thousands of labels; a
//! scan over all of them per label would be quadratic.

use drawings_core::BBox;
use std::collections::HashMap;

/// Boxes filed under the square cells their centres fall in.
#[derive(Debug)]
pub(crate) struct Grid<T> {
    cell: f32,
    cells: HashMap<(i64, i64), Vec<(BBox, T)>>,
}

impl<T> Grid<T> {
    /// A grid of `cell`-point squares.
    pub fn new(cell: f32) -> Self {
        Grid {
            cell: cell.max(0.5),
            cells: HashMap::new(),
        }
    }

    fn key(&self, x: f32, y: f32) -> (i64, i64) {
        ((x / self.cell).floor() as i64, (y / self.cell).floor() as i64)
    }

    /// Files `value` under the centre of `bbox`.
    pub fn insert(&mut self, bbox: BBox, value: T) {
        let (x, y) = bbox.center();
        let key = self.key(x, y);
        self.cells.entry(key).or_default().push((bbox, value));
    }

    /// Everything whose centre is within `reach` points (in x and in y) of the centre of `bbox`.
    pub fn near(&self, bbox: BBox, reach: f32) -> impl Iterator<Item = &(BBox, T)> {
        let (x, y) = bbox.center();
        let (x0, y0) = self.key(x - reach, y - reach);
        let (x1, y1) = self.key(x + reach, y + reach);
        // A reach far larger than the cells would visit many empty cells: cap the span.
        let span = 64;
        let xs = x0.max(x1.saturating_sub(span))..=x1;
        xs.flat_map(move |cx| (y0.max(y1.saturating_sub(span))..=y1).map(move |cy| (cx, cy)))
            .filter_map(|k| self.cells.get(&k))
            .flatten()
            .filter(move |(b, _)| {
                let (bx, by) = b.center();
                (bx - x).abs() <= reach && (by - y).abs() <= reach
            })
    }
}

/// The page's words by position, as indices into `words`.
pub(crate) fn words(words: &[crate::words::Word]) -> Grid<usize> {
    let mut grid = Grid::new(16.0);
    for (n, w) in words.iter().enumerate() {
        grid.insert(w.bbox, n);
    }
    grid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f32, y: f32) -> BBox {
        BBox {
            x0: x - 1.0,
            y0: y - 1.0,
            x1: x + 1.0,
            y1: y + 1.0,
        }
    }

    #[test]
    fn near_finds_the_boxes_within_reach_across_cell_borders_and_no_others() {
        let mut g = Grid::new(4.0);
        g.insert(at(3.9, 3.9), "a");
        g.insert(at(4.1, 4.1), "b");
        g.insert(at(20.0, 4.0), "c");
        let mut found: Vec<&str> = g.near(at(4.0, 4.0), 1.0).map(|(_, v)| *v).collect();
        found.sort();
        assert_eq!(found, ["a", "b"]);
        assert_eq!(g.near(at(4.0, 4.0), 16.5).count(), 3);
    }
}
