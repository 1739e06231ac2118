//! The order of a dashboard's widgets, arranged by hand: each widget keeps a place — a fractional
//! index written as text, which sorts as the widgets do — so that moving one writes its own place
//! only (between its new neighbours') and two people moving two widgets at once keep both moves. A
//! widget never moved has no place and follows the placed ones in its default order (by name), so a
//! new one goes last; the first move places them all, then only the moved one changes.

use fractional_index::FractionalIndex;

/// A widget as arranged: its id, its place as stored (empty, or anything that is no place, for
/// none) and its default order's key (its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub id: String,
    pub place: String,
    pub name: String,
}

/// The longest place kept: past it, the widgets are placed again, one after the other.
const LONGEST: usize = 64;

/// Its place, when what is stored is one this module writes: lowercase hex bytes, none of them 0
/// (the crate cannot put a place between two where one has a 0 byte) — anything else, as a place
/// typed or merged from two devices' writes, is no place rather than a panic.
fn place_of(text: &str) -> Option<FractionalIndex> {
    let hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    let sound = !text.is_empty()
        && text.len().is_multiple_of(2)
        && text.bytes().all(hex)
        && text.as_bytes().chunks(2).all(|byte| byte != b"00");
    sound.then(|| FractionalIndex::from_string(text).ok()).flatten()
}

/// `widgets` in their order: the placed by place, then the never placed; ties (two devices that
/// placed two widgets alike) and the never placed by name, then id, so every device agrees.
pub fn in_order(mut widgets: Vec<Placed>) -> Vec<Placed> {
    widgets.sort_by(|a, b| {
        let key = |w: &Placed| (place_of(&w.place).is_none(), place_of(&w.place));
        key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name)).then_with(|| a.id.cmp(&b.id))
    });
    widgets
}

/// The places to write (id, place) so that the widget at `from` of `order` (as [`in_order`] gives
/// it) is at `to`, the others in their order: the moved one's alone between its new neighbours',
/// or, while some are not placed yet (or two share a place), every widget's whose place changes.
pub fn move_to(order: &[Placed], from: usize, to: usize) -> Vec<(String, String)> {
    if from >= order.len() || from == to {
        return Vec::new();
    }
    let mut moved: Vec<&Placed> = order.iter().collect();
    let widget = moved.remove(from);
    moved.insert(to.min(moved.len()), widget);
    let at = moved.iter().position(|w| w.id == widget.id).unwrap_or(0);
    let others: Vec<Option<FractionalIndex>> =
        moved.iter().filter(|w| w.id != widget.id).map(|w| place_of(&w.place)).collect();

    // Between two that share a place there is none: then they are all placed again.
    if others.iter().all(Option::is_some) {
        let place = |n: Option<usize>| n.and_then(|n| place_of(&moved[n].place));
        let (before, after) =
            (place(at.checked_sub(1)), place(Some(at + 1).filter(|n| *n < moved.len())));
        let between = FractionalIndex::new(before.as_ref(), after.as_ref())
            .map(|between| between.to_string())
            .filter(|text| text.len() <= LONGEST)
            .and_then(|text| Some((place_of(&text)?, text)))
            .filter(|(between, _)| {
                before.as_ref().is_none_or(|b| b < between)
                    && after.as_ref().is_none_or(|a| between < a)
            });
        if let Some((_, text)) = between {
            return vec![(widget.id.clone(), text)];
        }
    }
    // Every widget a place, one after the other.
    let mut writes = Vec::new();
    let mut last: Option<FractionalIndex> = None;
    for w in moved {
        let place = match &last {
            None => FractionalIndex::default(),
            Some(last) => FractionalIndex::new_after(last),
        };
        let text = place.to_string();
        if text != w.place {
            writes.push((w.id.clone(), text));
        }
        last = Some(place);
    }
    writes
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn widget(n: usize, place: &str) -> Placed {
        Placed { id: format!("w{n}"), place: place.to_owned(), name: format!("Report {}", n % 3) }
    }

    /// `order` with `writes` applied, in order again.
    fn applied(order: &[Placed], writes: &[(String, String)]) -> Vec<Placed> {
        let mut widgets = order.to_vec();
        for (id, place) in writes {
            widgets.iter_mut().find(|w| w.id == *id).unwrap().place = place.clone();
        }
        in_order(widgets)
    }

    #[test]
    fn the_never_placed_follow_the_placed_by_name_and_the_first_move_places_them_all() {
        let a = FractionalIndex::default();
        let b = FractionalIndex::new_after(&a);
        let order = in_order(vec![
            Placed { id: "x".into(), place: String::new(), name: "Zeta".into() },
            Placed { id: "y".into(), place: "1".into(), name: "Alpha".into() },
            Placed { id: "z".into(), place: b.to_string(), name: "Beta".into() },
            Placed { id: "w".into(), place: a.to_string(), name: "Omega".into() },
        ]);
        let ids = |order: &[Placed]| order.iter().map(|w| w.id.clone()).collect::<Vec<_>>();
        // "1" is no place (a pin made before there were places).
        assert_eq!(ids(&order), ["w", "z", "y", "x"]);
        let writes = move_to(&order, 3, 0);
        assert_eq!(ids(&applied(&order, &writes)), ["x", "w", "z", "y"]);
        // Every one placed now.
        let order = applied(&order, &writes);
        assert!(order.iter().all(|w| place_of(&w.place).is_some()), "{writes:?}");
        // Then a move writes the moved one's place only.
        let writes = move_to(&order, 0, 2);
        assert_eq!(writes.len(), 1);
        assert_eq!(ids(&applied(&order, &writes)), ["w", "z", "x", "y"]);
        assert!(move_to(&order, 1, 1).is_empty());
        assert!(move_to(&order, 9, 0).is_empty());
    }

    #[test]
    fn a_widget_moved_to_the_top_hundreds_of_times_stays_on_top_and_places_stay_short() {
        let mut order: Vec<Placed> = (0..4).map(|n| widget(n, "")).collect();
        for n in 0..600 {
            let from = order.len() - 1;
            let moved = order[from].id.clone();
            let writes = move_to(&order, from, 0);
            order = applied(&order, &writes);
            assert_eq!(order[0].id, moved, "move {n}");
            assert!(order.iter().all(|w| place_of(&w.place).is_some() && w.place.len() <= LONGEST));
        }
        // What no device writes is no place, and does not panic: not hex, odd, with a 0 byte.
        for text in ["aé", "1", "8", "0080", "zz", "", "8G"] {
            assert!(place_of(text).is_none(), "{text}");
        }
        assert!(place_of("8180").is_some());
    }

    proptest! {
        #[test]
        fn a_moved_widget_lands_where_it_was_dropped_and_the_others_keep_their_order(
            places in prop::collection::vec(prop::option::of(0..6usize), 1..12),
            moves in prop::collection::vec((0..12usize, 0..12usize), 1..8),
        ) {
            // Some placed (some alike, as two devices may place them), some not.
            let mut keys = vec![FractionalIndex::default()];
            for _ in 0..6 {
                let next = FractionalIndex::new_after(keys.last().unwrap());
                keys.push(next);
            }
            let widgets: Vec<Placed> = places.iter().enumerate()
                .map(|(n, p)| widget(n, &p.map(|p| keys[p].to_string()).unwrap_or_default()))
                .collect();
            let mut order = in_order(widgets);
            for (from, to) in moves {
                let (from, to) = (from % order.len(), to % order.len());
                let mut expected: Vec<String> = order.iter().map(|w| w.id.clone()).collect();
                let id = expected.remove(from);
                expected.insert(to, id);
                let writes = move_to(&order, from, to);
                let all_placed = order.iter().all(|w| place_of(&w.place).is_some())
                    && order.windows(2).all(|p| place_of(&p[0].place) < place_of(&p[1].place));
                if all_placed && from != to {
                    prop_assert_eq!(writes.len(), 1, "one place written");
                }
                order = applied(&order, &writes);
                prop_assert_eq!(order.iter().map(|w| w.id.clone()).collect::<Vec<_>>(), expected);
            }
        }
    }
}
