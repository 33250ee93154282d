//! Long lists come a page at a time, and always say how many there are in all, so nothing is
//! cut off without the user knowing: a triage queue of 600 referrals shows the oldest 50 and
//! "1 to 50 of 600", never the first 500 as if they were all.

/// Which page of a list, from 1, and how many to a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: usize,
    pub size: usize,
}

impl Page {
    /// The page asked for in a link (`?page=3`); the first if it is missing or not a number.
    pub fn parse(raw: Option<&str>, size: usize) -> Page {
        Page::at(raw.and_then(|s| s.trim().parse::<usize>().ok()), size)
    }

    /// This page number, already a number (the first if missing or 0).
    pub fn at(number: Option<usize>, size: usize) -> Page {
        Page {
            number: number.filter(|n| *n >= 1).unwrap_or(1),
            size: size.max(1),
        }
    }

    pub fn first(size: usize) -> Page {
        Page::parse(None, size)
    }

    /// How many rows come before this page.
    pub fn offset(&self) -> usize {
        (self.number - 1).saturating_mul(self.size)
    }
}

/// One page of a list, with the total across every page.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: usize,
    pub page: Page,
}

impl<T> Paged<T> {
    /// How many pages there are (at least one, for an empty list).
    pub fn pages(&self) -> usize {
        self.total.div_ceil(self.page.size).max(1)
    }

    /// The place in the whole list of the first and last shown, from 1 ("21 to 40 of 95").
    pub fn shown(&self) -> (usize, usize) {
        let first = self.page.offset() + 1;
        (first, first + self.items.len().saturating_sub(1))
    }

    pub fn has_previous(&self) -> bool {
        self.page.number > 1
    }

    pub fn has_next(&self) -> bool {
        self.page.number < self.pages()
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_read_from_a_link_and_says_where_it_is() {
        assert_eq!(Page::parse(None, 50).number, 1);
        assert_eq!(Page::parse(Some("0"), 50).number, 1);
        assert_eq!(Page::parse(Some("x"), 50).number, 1);
        assert_eq!(Page::parse(Some(" 3 "), 50).offset(), 100);
        let p = Paged {
            items: vec![1; 45],
            total: 145,
            page: Page::parse(Some("3"), 50),
        };
        assert_eq!(p.pages(), 3);
        assert_eq!(p.shown(), (101, 145));
        assert!(p.has_previous() && !p.has_next());
        let empty: Paged<u8> = Paged {
            items: vec![],
            total: 0,
            page: Page::first(50),
        };
        assert_eq!(empty.pages(), 1);
        assert!(!empty.has_next());
    }
}
