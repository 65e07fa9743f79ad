//! Money per client and year, packed per group (migration 0025).
//!
//! A group (`client_cells`: region, law, year, member, provider, category) keeps its clients in
//! one column: entries of 24 bytes, the pseudonym's 16 bytes and the amount in cents as a
//! signed 64-bit number, both big-endian, in ascending order of pseudonym, each pseudonym once.
//! Every month's file brings most of a group's clients again; rewriting one value per group
//! costs a fraction of updating a row per client, which took a third of an import's time.
//! Nothing here does I/O: the importer merges a file's amounts in, the readers decode.

use std::cmp::Ordering;

/// Bytes per client.
pub(crate) const ENTRY: usize = 24;

/// A stored value that is not a packed list: its length or order is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damaged(pub String);

/// The (pseudonym, cents) entries of a packed value, checked for length and order first.
pub(crate) fn entries(packed: &[u8]) -> Result<impl Iterator<Item = (u128, i64)> + '_, Damaged> {
    if !packed.len().is_multiple_of(ENTRY) {
        return Err(Damaged(format!("lengte {} is geen veelvoud van {ENTRY}", packed.len())));
    }
    let mut previous: Option<u128> = None;
    for chunk in packed.chunks_exact(ENTRY) {
        let client = client_of(chunk);
        if previous.is_some_and(|p| p >= client) {
            return Err(Damaged(format!("pseudoniem {client:032x} staat niet in volgorde")));
        }
        previous = Some(client);
    }
    Ok(packed.chunks_exact(ENTRY).map(|c| (client_of(c), amount_of(c))))
}

fn client_of(entry: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    b.copy_from_slice(&entry[..16]);
    u128::from_be_bytes(b)
}

fn amount_of(entry: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&entry[16..ENTRY]);
    i64::from_be_bytes(b)
}

fn push(out: &mut Vec<u8>, client: u128, cents: i64) {
    out.extend_from_slice(&client.to_be_bytes());
    out.extend_from_slice(&cents.to_be_bytes());
}

/// A group's clients after a merge: the packed value, how many clients, their total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Merged {
    pub(crate) packed: Vec<u8>,
    pub(crate) clients: i64,
    pub(crate) cents: i64,
}

/// Adds `deltas` (sorted by pseudonym, each once) to the packed `stored` amounts. A client
/// new to the group gets its own entry; one whose amount comes to zero keeps it (it was
/// claimed for, and counts as a client, as a credited line does).
pub(crate) fn merge(stored: &[u8], deltas: &[(u128, i64)]) -> Result<Merged, Damaged> {
    if let Some(w) = deltas.windows(2).find(|w| w[0].0 >= w[1].0) {
        return Err(Damaged(format!("pseudoniem {:032x} staat niet in volgorde in de wijzigingen", w[1].0)));
    }
    let mut old = entries(stored)?.peekable();
    let mut new = deltas.iter().copied().peekable();
    let mut packed = Vec::with_capacity(stored.len() + deltas.len() * ENTRY);
    let (mut clients, mut cents) = (0i64, 0i64);
    loop {
        let (client, amount) = match (old.peek().copied(), new.peek().copied()) {
            (None, None) => break,
            (Some(o), None) => {
                old.next();
                o
            }
            (None, Some(n)) => {
                new.next();
                n
            }
            (Some(o), Some(n)) => match o.0.cmp(&n.0) {
                Ordering::Less => {
                    old.next();
                    o
                }
                Ordering::Greater => {
                    new.next();
                    n
                }
                Ordering::Equal => {
                    old.next();
                    new.next();
                    (o.0, o.1.checked_add(n.1).ok_or_else(|| overflow(o.0))?)
                }
            },
        };
        push(&mut packed, client, amount);
        clients += 1;
        cents = cents.checked_add(amount).ok_or_else(|| overflow(client))?;
    }
    Ok(Merged { packed, clients, cents })
}

fn overflow(client: u128) -> Damaged {
    Damaged(format!("het bedrag van pseudoniem {client:032x} past niet in 64 bits"))
}

/// Packs entries (sorted by pseudonym, each once).
#[cfg(test)]
pub(crate) fn pack(list: &[(u128, i64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(list.len() * ENTRY);
    for &(client, cents) in list {
        push(&mut out, client, cents);
    }
    out
}

/// How many different clients the packed values hold together, and their total amount.
pub(crate) fn distinct<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Result<(i64, i64), Damaged> {
    let mut all: Vec<u128> = Vec::new();
    let mut cents = 0i64;
    for value in values {
        for (client, amount) in entries(value)? {
            all.push(client);
            cents = cents.checked_add(amount).ok_or_else(|| overflow(client))?;
        }
    }
    all.sort_unstable();
    all.dedup();
    Ok((i64::try_from(all.len()).unwrap_or(i64::MAX), cents))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn decoded(packed: &[u8]) -> Vec<(u128, i64)> {
        entries(packed).expect("valid").collect()
    }

    #[test]
    fn a_merge_adds_to_known_clients_and_inserts_new_ones_in_order() {
        let stored = pack(&[(1, 100), (5, 50), (9, -20)]);
        let merged = merge(&stored, &[(0, 7), (5, -50), (7, 1), (10, 3)]).expect("merge");
        assert_eq!(decoded(&merged.packed), vec![(0, 7), (1, 100), (5, 0), (7, 1), (9, -20), (10, 3)]);
        assert_eq!((merged.clients, merged.cents), (6, 91));
    }

    #[test]
    fn damaged_values_are_refused_not_read() {
        assert!(entries(&[0u8; 25]).is_err());
        let mut reversed = pack(&[(2, 1)]);
        reversed.extend(pack(&[(1, 1)]));
        assert!(entries(&reversed).is_err());
        assert!(merge(&reversed, &[]).is_err());
        let twice = pack(&[(3, 1), (3, 1)]);
        assert!(entries(&twice).is_err());
        assert!(merge(&[], &[(4, 1), (4, 2)]).is_err());
        assert!(merge(&pack(&[(1, i64::MAX)]), &[(1, 1)]).is_err());
    }

    #[test]
    fn distinct_counts_a_client_in_two_groups_once() {
        let a = pack(&[(1, 10), (2, 20)]);
        let b = pack(&[(2, 5), (3, 1)]);
        assert_eq!(distinct([a.as_slice(), b.as_slice()]).expect("valid"), (3, 36));
        assert_eq!(distinct(std::iter::empty()).expect("valid"), (0, 0));
    }

    proptest! {
        /// Merging in any number of steps gives what adding up per client gives.
        #[test]
        fn merging_agrees_with_adding_up(files in prop::collection::vec(
            prop::collection::btree_map(0u128..40, -1_000_000i64..1_000_000, 0..30), 0..6)
        ) {
            let mut expected: BTreeMap<u128, i64> = BTreeMap::new();
            let mut packed = Vec::new();
            for file in &files {
                for (client, cents) in file {
                    *expected.entry(*client).or_default() += cents;
                }
                let deltas: Vec<(u128, i64)> = file.iter().map(|(c, a)| (*c, *a)).collect();
                let merged = merge(&packed, &deltas).expect("merge");
                prop_assert_eq!(merged.clients as usize, expected.len());
                prop_assert_eq!(merged.cents, expected.values().sum::<i64>());
                packed = merged.packed;
            }
            prop_assert_eq!(decoded(&packed), expected.into_iter().collect::<Vec<_>>());
        }

        /// No input makes the reader panic; what it accepts packs back to the same bytes.
        #[test]
        fn any_bytes_are_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(list) = entries(&bytes).map(|e| e.collect::<Vec<_>>()) {
                prop_assert_eq!(pack(&list), bytes);
            }
        }
    }
}
