//! Real-shaped exports of the address books people bring (`tests/fixtures/import/`: Google Contacts'
//! current CSV with events, relations and custom fields, Outlook's English CSV and its Russian one in
//! Windows-1251 (an empty date written "0.0.00", addresses named in brackets), an iPhone's vCard 3.0 with folded lines and a photo, an old
//! Android phone's vCard 2.1 in quoted-printable, an Excel sheet saved as Windows-1251 with semicolons),
//! each imported as the app does it — encoding sniffed, columns guessed, checked, deduplicated, written
//! with organisations linked — and compared with the exact records expected, every field of them.

use std::path::PathBuf;

use rapport_core::ids::{IdSource, PartyId, Timestamp};
use rapport_core::interchange::{self, Field, KnownParties};
use rapport_core::model::{LinkKind, Party, PartyKind};

fn fixture(name: &str) -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/import").join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The text as the browser's `TextDecoder` gives it (encoding_rs implements the same standard).
fn text(bytes: &[u8]) -> String {
    let (encoding, bom) = interchange::sniff_encoding(bytes);
    let decoder = encoding_rs::Encoding::for_label(encoding.label().as_bytes()).unwrap();
    decoder.decode_without_bom_handling(&bytes[bom..]).0.into_owned()
}

struct Counting(u64);

impl IdSource for Counting {
    fn now(&mut self) -> Timestamp {
        Timestamp(1_795_000_000_000)
    }
    fn random_bytes(&mut self) -> [u8; 10] {
        self.0 += 1;
        let mut bytes = [0; 10];
        bytes[2..].copy_from_slice(&self.0.to_be_bytes());
        bytes
    }
}

/// Every record an import of `file` writes, described field by field, sorted by name; and the columns
/// it reports left out.
fn imported(file: &str) -> (String, Vec<String>) {
    let text = text(&fixture(file));
    let (candidates, left_out) = if file.ends_with(".vcf") {
        let book = interchange::read_vcard_book(&text);
        (book.cards, book.left_out)
    } else {
        let table = interchange::read_table(&text).unwrap();
        let mapping: Vec<Field> =
            table.headers.iter().map(|h| interchange::guess_field(h)).collect();
        let left_out = interchange::left_out_columns(&table, &mapping);
        (interchange::candidates_from_table(&table, &mapping), left_out)
    };
    let plan = interchange::dedupe(candidates, KnownParties::default());
    assert!(plan.skipped.is_empty() && plan.duplicates.is_empty(), "{file}: {plan:?}");
    let records = interchange::records_to_write(
        &plan,
        [],
        &Default::default(),
        Timestamp(0),
        &mut Counting(0),
        &|extra| extra.english().into(),
    );
    let mut described: Vec<String> = records.iter().map(|(_, p)| describe(p, &records)).collect();
    described.sort();
    (described.join(""), left_out)
}

fn describe(party: &Party, records: &[(PartyId, Party)]) -> String {
    let kind = match party.kind {
        PartyKind::Person => "person",
        PartyKind::Organisation => "organisation",
    };
    let mut out = format!("{} ({kind})", party.name);
    if !party.given_name.is_empty() || !party.family_name.is_empty() {
        out += &format!(" given={} family={}", party.given_name, party.family_name);
    }
    out.push('\n');
    for (what, points) in
        [("email", &party.emails), ("phone", &party.phones), ("link", &party.links)]
    {
        for point in points {
            out += &format!("  {what} {} {}\n", point.label, point.value);
        }
    }
    for a in &party.addresses {
        out += &format!(
            "  address {}: {} | {} | {} | {} | {}\n",
            a.label, a.street, a.city, a.region, a.postcode, a.country
        );
    }
    for link in party.relations.values().filter(|l| l.kind == LinkKind::WorksAt) {
        let org = records.iter().find(|(id, _)| *id == link.to).map(|(_, o)| o.name.as_str());
        out += &format!("  works at {} as {:?}\n", org.unwrap_or("?"), link.title);
    }
    let mut tags: Vec<&String> = party.tags.keys().collect();
    tags.sort();
    if !tags.is_empty() {
        out += &format!("  tags {tags:?}\n");
    }
    for (what, date) in [("birthday", &party.birthday), ("anniversary", &party.anniversary)] {
        if !date.is_empty() {
            out += &format!("  {what} {date}\n");
        }
    }
    if !party.notes.as_str().is_empty() {
        out += &format!("  notes {:?}\n", party.notes.as_str());
    }
    out
}

#[test]
fn google_contacts_current_csv() {
    let (records, left_out) = imported("google-contacts.csv");
    assert_eq!(
        records,
        "\
Anna Weber (person) given=Anna family=Weber
  email work anna@nordwind.de
  email home anna.weber@mail.de
  phone mobile +49 170 1234567
  phone work +49 40 555 0101
  link profile https://nordwind.example/anna
  address work: Hafenstr. 1 | Hamburg | HH | 20457 | Germany
  works at Nordwind GmbH as \"Head of Purchasing\"
  tags [\"VIP\"]
  birthday 1980-05-17
  anniversary 2010-06-12
  notes \"Met at the fair,\\nwants a quote\\nSpouse: Tom Weber\\nCustomer number: K-1042\\nMiddle name: Maria\\nName prefix: Dr.\\nNickname: Ani\"
José Núñez (person) given=José family=Núñez
  email work jose@nordwind.de
  phone mobile +49 171 7654321
  works at Nordwind GmbH as \"Buyer\"
  notes \"Name day: --03-19\\nName suffix: Jr.\"
Nordwind GmbH (organisation)
"
    );
    assert_eq!(left_out, Vec::<String>::new());
}

#[test]
fn outlook_english_csv() {
    let (records, left_out) = imported("outlook-en.csv");
    assert_eq!(
        records,
        "\
Acme Corp (organisation)
John Smith (person) given=John family=Smith
  email work john.smith@acme.example
  email work john@home.example
  phone fax +1 217 555 0100
  phone work +1 217 555 0101
  phone mobile +1 217 555 0199
  link website https://acme.example
  address work: 1 Main St, Suite 200 | Springfield | IL | 62701 | United States of America
  works at Acme Corp as \"Account Manager\"
  birthday 1975-01-02
  notes \"Prefers calls\\nName prefix: Mr.\\nDepartment: Sales\"
"
    );
    // Said, not dropped silently: the transport type (SMTP), the display names derived from the name
    // and address, and Outlook's defaults for flags it keeps on every contact.
    assert_eq!(
        left_out,
        [
            "E-mail Type",
            "E-mail Display Name",
            "E-mail 2 Type",
            "E-mail 2 Display Name",
            "Priority",
            "Sensitivity",
            "Private",
            "Gender"
        ]
    );
}

#[test]
fn iphone_vcard_3_with_folded_lines_and_a_photo() {
    let (records, left_out) = imported("iphone.vcf");
    assert_eq!(records, "\
Chidi Okafor (person) given=Chidi family=Okafor
  email work chidi@lagos-logistics.example
  phone mobile +234 803 123 4567
  link linkedin https://www.linkedin.com/in/chidi-okafor
  address work: 12 Marina Road | Lagos |  | 101001 | Nigeria
  works at Lagos Logistics Ltd as \"COO\"
  birthday 1982-11-30
  anniversary 2009-07-04
  notes \"Introduced by Anna at the Hamburg fair, follow up in Q1 about the warehouse contract\\nSpouse: Ngozi Okafor\\nJoined the board: 2015-03-01\\nDepartment: Operations\"
Lagos Logistics Ltd (organisation)
");
    assert_eq!(left_out, ["PHOTO"], "said, not dropped silently");
}

#[test]
fn android_vcard_2_1_in_quoted_printable() {
    let (records, left_out) = imported("android-2.1.vcf");
    assert_eq!(
        records,
        "\
Ольга Смирнова (person) given=Ольга family=Смирнова
  email home olga.smirnova@example.ru
  phone mobile +7 916 555-12-34
  works at Ромашка as \"\"
  birthday 1985-03-08
  notes \"Middle name: Петровна\"
Ромашка (organisation)
"
    );
    assert_eq!(left_out, Vec::<String>::new());
}

#[test]
fn excel_windows_1251_with_semicolons() {
    let (records, left_out) = imported("excel-1251.csv");
    assert_eq!(
        records,
        "\
ООО «Вектор» (organisation)
Ольга Морозова (person)
  phone work +7 (812) 555-01-03
  address work:  | Санкт-Петербург |  |  | 
  works at ООО «Вектор» as \"Бухгалтер\"
Сергей Кузнецов (person)
  email work kuznetsov@vektor.example
  phone work +7 (812) 555-01-02
  address work:  | Санкт-Петербург |  |  | 
  works at ООО «Вектор» as \"Директор\"
"
    );
    assert_eq!(left_out, Vec::<String>::new());
}

#[test]
fn outlook_russian_csv_in_windows_1251() {
    let (records, left_out) = imported("outlook-ru-1251.csv");
    assert_eq!(
        records,
        "\
Игорь Соколов (person) given=Игорь family=Соколов
  email work sokolov@alfa.example
  phone work +7 495 123-45-67
  phone home +7 495 765-43-21
  phone mobile +7 916 111-22-33
  link website https://alfa.example
  address work: ул. Ленина, 5, офис 12 | Москва | Московская | 101000 | Россия
  address home: Садовая ул., 3 | Химки | Московская | 141400 | Россия
  works at ООО «Альфа» as \"Директор по закупкам\"
  tags [\"Поставщики\"]
  birthday 1978-04-15
  notes \"Звонить после обеда\\nName prefix: г-н\\nMiddle name: Петрович\\nDepartment: Закупки\"
ООО «Альфа» (organisation)
"
    );
    assert_eq!(left_out, ["Тип эл. почты", "Краткое имя эл. почты", "Важность", "Пол"]);
}
