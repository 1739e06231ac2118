//! A person linked to an organisation ("works at") is listed among its people and found by its name;
//! the link removed, both are gone.

use rapport_core::document::{self, Record};
use rapport_core::ids::{LinkId, PartyId, Timestamp};
use rapport_core::model::{LinkKind, Party, PartyKind, PartyLink};
use rapport_core::read_model::ReadModel;

fn id(n: u8) -> PartyId {
    PartyId::from_bytes([n; 16])
}

#[test]
fn a_person_is_listed_at_their_organisation_and_found_by_its_name() {
    let org = Party {
        kind: PartyKind::Organisation,
        name: "Romashka LLC".into(),
        created_at: Timestamp(1),
        ..Party::default()
    };
    let mut ivan =
        Party { name: "Ivan Petrov".into(), created_at: Timestamp(2), ..Party::default() };
    ivan.link(
        LinkId::from_bytes([9; 16]),
        PartyLink { to: id(1), kind: LinkKind::WorksAt, title: "Buyer".into() },
    );
    let mut model = ReadModel::default();
    for (n, party) in [(1, &org), (2, &ivan)] {
        let key = Party::doc_key(&id(n));
        let mut doc = document::new_document();
        document::put(&mut doc, &id(n).to_string(), party).unwrap();
        model.replace_document(key, &mut doc);
    }
    model.search_pending = false;
    let people: Vec<&str> = model.people_at(id(1)).map(|row| row.name.as_str()).collect();
    assert_eq!(people, ["Ivan Petrov"]);
    assert!(model.search.matching("romashka").contains(&id(2)), "found by the organisation's name");

    ivan.relations.clear();
    let mut doc = document::new_document();
    document::put(&mut doc, &id(2).to_string(), &ivan).unwrap();
    if Party::doc_key(&id(1)) == Party::doc_key(&id(2)) {
        document::put(&mut doc, &id(1).to_string(), &org).unwrap();
    }
    model.replace_document(Party::doc_key(&id(2)), &mut doc);
    assert_eq!(model.people_at(id(1)).count(), 0);
    assert!(!model.search.matching("romashka").contains(&id(2)));
}
