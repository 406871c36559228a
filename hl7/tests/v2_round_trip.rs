//! Writer → bytes → parser round trip on generated values: every
//! subcomponent comes back exactly, whatever delimiters, escape characters,
//! line breaks or kanji it holds, in UTF-8 and ISO-2022-JP, with the
//! standard and with unusual delimiters.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hl7::v2::{Charset, Delimiters, FieldValue, Message, MessageBuilder};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next() % items.len()]
    }
}

/// Characters a value may hold: ASCII, every delimiter of both sets, CR/LF,
/// kanji whose JIS bytes are delimiter bytes, kana.
const ALPHABET: &[char] = &[
    'a', 'Z', '0', ' ', '.', '-', '|', '^', '~', '\\', '&', '#', '!', '$', '%', '@', '\r', '\n',
    '山', '田', '日', '愛', '東', '京', '都', 'ア', 'ﾀ', 'ﾞ',
];

fn value(rng: &mut Lcg) -> String {
    let len = rng.next() % 6;
    (0..len).map(|_| rng.pick(ALPHABET)).collect()
}

/// Subcomponents of a field: repetitions → components → subcomponents.
type Tree = Vec<Vec<Vec<String>>>;

fn tree(rng: &mut Lcg) -> Tree {
    (0..1 + rng.next() % 3)
        .map(|_| {
            (0..1 + rng.next() % 4)
                .map(|_| (0..1 + rng.next() % 3).map(|_| value(rng)).collect())
                .collect()
        })
        .collect()
}

fn read_back(m: &Message, n: usize) -> Tree {
    let field = m.segment("ZZZ").unwrap().field(n);
    let Some(field) = field else {
        return vec![];
    };
    field
        .repetitions()
        .map(|r| {
            r.components()
                .map(|c| {
                    let raw = c.raw();
                    let subs = raw.split(m.delimiters().subcomponent).count();
                    (1..=subs).map(|i| c.subcomponent(i).into_owned()).collect()
                })
                .collect()
        })
        .collect()
}

/// What the writer promises: trailing empty subcomponents/components and
/// empty trailing repetitions' parts are dropped, nothing else changes.
fn normalized(t: &Tree) -> Tree {
    t.iter()
        .map(|rep| {
            let mut comps: Vec<Vec<String>> = rep
                .iter()
                .map(|c| {
                    let mut subs = c.clone();
                    while subs.len() > 1 && subs.last().is_some_and(String::is_empty) {
                        subs.pop();
                    }
                    subs
                })
                .collect();
            while comps.len() > 1 && comps.last().is_some_and(|c| c.iter().all(String::is_empty)) {
                comps.pop();
            }
            comps
        })
        .collect()
}

fn run(delimiters: Delimiters, charset: Charset, seed: u64) {
    let mut rng = Lcg(seed);
    for _ in 0..300 {
        let trees: Vec<Tree> = (0..4).map(|_| tree(&mut rng)).collect();
        let mut b = MessageBuilder::new(delimiters, charset, "");
        b.msh(vec![
            FieldValue::text("A"),
            FieldValue::empty(),
            FieldValue::empty(),
            FieldValue::empty(),
            FieldValue::text("20260101"),
            FieldValue::empty(),
            FieldValue::components(["ADT", "A04"]),
            FieldValue::text("1"),
            FieldValue::text("P"),
            FieldValue::text("2.5"),
        ]);
        let mut fields: Vec<FieldValue> = trees
            .iter()
            .map(|t| FieldValue::from_repetitions(t.clone()))
            .collect();
        // A non-empty last field so trailing-field trimming never applies.
        fields.push(FieldValue::text("end"));
        b.segment("ZZZ", fields);
        let built = b.finish().unwrap();
        let wire = built.encode().unwrap();
        let parsed = Message::parse(&wire).unwrap();
        assert_eq!(parsed.charset(), charset);
        assert_eq!(parsed.delimiters(), &delimiters);
        for (i, t) in trees.iter().enumerate() {
            let back = read_back(&parsed, i + 1);
            let mut want = normalized(t);
            // An all-empty field reads back as one empty repetition.
            if want
                .iter()
                .all(|r| r.iter().all(|c| c.iter().all(String::is_empty)))
            {
                want = vec![vec![vec![String::new()]]; 1];
                let back_empty = back
                    .iter()
                    .all(|r| r.iter().all(|c| c.iter().all(String::is_empty)));
                assert!(back_empty, "{t:?} -> {back:?}");
                continue;
            }
            assert_eq!(back, want, "field {} of {:?}", i + 1, parsed.to_er7());
        }
        assert_eq!(parsed.segment("ZZZ").unwrap().value(5), "end");
    }
}

#[test]
fn utf8_standard_delimiters() {
    run(Delimiters::default(), Charset::Utf8, 1);
}

#[test]
fn iso_2022_jp_standard_delimiters() {
    run(Delimiters::default(), Charset::Iso2022Jp, 2);
}

#[test]
fn unusual_delimiters() {
    let d = Delimiters {
        field: '#',
        component: '!',
        repetition: '$',
        escape: '%',
        subcomponent: '@',
    };
    run(d, Charset::Utf8, 3);
    run(d, Charset::Iso2022Jp, 4);
}
