//! Property: however devices interleave their edits and in whatever order they merge, every device ends
//! with the same record and the same document heads; and additions (tags, emails, note text) made on any
//! device are never lost.

use proptest::prelude::*;
use rapport_core::document::{get, new_document, put, update};
use rapport_core::model::{ContactPoint, Party, Role};

#[derive(Debug, Clone)]
enum Edit {
    Rename(String),
    ToggleRole(usize),
    Tag(String),
    AddEmail(String),
    Cadence(Option<u32>),
    AppendNote(String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        "[A-Za-zА-Яа-я ]{1,12}".prop_map(Edit::Rename),
        (0..Role::ALL.len()).prop_map(Edit::ToggleRole),
        "[a-z]{1,6}".prop_map(Edit::Tag),
        "[a-z]{1,6}@[a-z]{1,6}\\.test".prop_map(Edit::AddEmail),
        proptest::option::of(1u32..365).prop_map(Edit::Cadence),
        "[a-zа-я ]{1,10}".prop_map(Edit::AppendNote),
    ]
}

fn apply(party: &mut Party, edit: &Edit) {
    match edit {
        Edit::Rename(name) => party.name = name.clone(),
        Edit::ToggleRole(i) => {
            let role = Role::ALL[*i];
            let has = party.role_list().contains(&role);
            party.set_role(role, !has);
        }
        Edit::Tag(tag) => {
            party.tags.insert(tag.clone(), true);
        }
        Edit::AddEmail(email) => {
            party.emails.push(ContactPoint { label: "work".into(), value: email.clone() })
        }
        Edit::Cadence(days) => party.keep_in_touch_days = *days,
        Edit::AppendNote(text) => {
            let end = party.notes.as_str().len();
            party.notes.splice(end, 0, text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn forks_merged_in_any_order_converge(
        edits in proptest::collection::vec(proptest::collection::vec(edit(), 0..6), 3),
        order in Just([0usize, 1, 2]).prop_shuffle(),
    ) {
        let key = "0190c4e2-7d1c-7000-8000-000000000001";
        let mut base = new_document();
        put(&mut base, key, &Party { name: "Base".into(), ..Party::default() }).unwrap();
        let mut devices: Vec<_> = (0..3).map(|_| base.fork()).collect();
        for (device, edits) in devices.iter_mut().zip(&edits) {
            for one in edits {
                update(device, key, |party: &mut Party| apply(party, one)).unwrap();
                device.commit();
            }
        }

        // Device A merges in the shuffled order; device B merges in the reverse order.
        let mut a = base.fork();
        for &i in &order {
            a.merge(&mut devices[i].clone()).unwrap();
        }
        let mut b = base.fork();
        for &i in order.iter().rev() {
            b.merge(&mut devices[i].clone()).unwrap();
        }
        prop_assert_eq!(a.get_heads(), b.get_heads());
        let seen_by_a: Party = get(&a, key).unwrap().unwrap();
        let seen_by_b: Party = get(&b, key).unwrap().unwrap();
        prop_assert_eq!(&seen_by_a, &seen_by_b);

        for one in edits.iter().flatten() {
            match one {
                Edit::Tag(tag) => prop_assert!(seen_by_a.tags.contains_key(tag)),
                Edit::AddEmail(email) => {
                    prop_assert!(seen_by_a.emails.iter().any(|e| &e.value == email))
                }
                // Notes merge character by character: every appended text survives intact.
                Edit::AppendNote(text) => {
                    prop_assert!(seen_by_a.notes.as_str().contains(text.as_str()))
                }
                _ => {}
            }
        }
    }
}
