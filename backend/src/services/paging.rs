//! The one pagination window behind the Team page's pager and REST's
//! cursors: a position and a size. A window reads one row more than it
//! shows, so it knows whether another page follows without a count.

use shared::dto::team::PAGE_SIZE;

/// Rows `offset .. offset + limit`, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    offset: i64,
    limit: u32,
}

impl Window {
    /// Page `page` (from 1; 0 reads as 1) of the UI's fixed page size.
    pub fn page(page: u32) -> Self {
        Self {
            offset: i64::from(page.max(1) - 1) * i64::from(PAGE_SIZE),
            limit: PAGE_SIZE,
        }
    }

    /// `limit` rows from `offset`; `None` for an offset no database can
    /// seek to (it did not come from [`Window::next_offset`]).
    pub fn at(offset: u64, limit: u32) -> Option<Self> {
        Some(Self {
            offset: i64::try_from(offset).ok()?,
            limit,
        })
    }

    /// Where the window after this one starts.
    pub fn next_offset(self) -> u64 {
        u64::try_from(self.offset).unwrap_or(0) + u64::from(self.limit)
    }

    /// The `LIMIT` and `OFFSET` to query: one row more than the window.
    pub(crate) fn query(self) -> (i64, i64) {
        (i64::from(self.limit) + 1, self.offset)
    }

    /// The rows a [`Window::query`] read, cut to the window, and whether
    /// more follow.
    pub(crate) fn cut<T>(self, mut rows: Vec<T>) -> (Vec<T>, bool) {
        let (kept, more) = self.cut_slice(&rows);
        let kept = kept.len();
        rows.truncate(kept);
        (rows, more)
    }

    /// [`Window::cut`] for rows kept elsewhere (a cached list).
    pub(crate) fn cut_slice<T>(self, rows: &[T]) -> (&[T], bool) {
        let more = rows.len() > self.limit as usize;
        (&rows[..rows.len().min(self.limit as usize)], more)
    }
}

#[cfg(test)]
mod tests {
    use super::Window;

    #[test]
    fn pages_and_cursors_are_the_same_windows() {
        assert_eq!(Window::page(0), Window::page(1));
        assert_eq!(Window::page(3), Window::at(100, 50).unwrap());
        assert_eq!(Window::page(3).next_offset(), 150);
        assert_eq!(Window::page(1).query(), (51, 0));
        assert!(Window::at(u64::MAX, 50).is_none());
    }

    #[test]
    fn a_window_reads_one_row_more_to_know_whether_more_follow() {
        let window = Window::at(0, 2).unwrap();
        assert_eq!(window.cut(vec![1, 2, 3]), (vec![1, 2], true));
        assert_eq!(window.cut(vec![1, 2]), (vec![1, 2], false));
        assert_eq!(window.cut_slice(&[1, 2, 3]), (&[1, 2][..], true));
        assert_eq!(window.cut_slice(&[1]), (&[1][..], false));
    }
}
