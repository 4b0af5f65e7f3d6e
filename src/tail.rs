//! The tail: terms left out of the vocabulary that still lean to one service.
//!
//! The vocabulary keeps only the terms most associated with a service, 12,288 by default (see
//! [`crate::features`]). The tens of thousands of rarer word terms and word pairs left out
//! (other languages, unusual words, telegraphic pairs) are not lost: each one that leans to a
//! service (most of the training requests that contain it have that service) counts in that
//! service's *tail column*.
//!
//! The index stores no strings, only a 48-bit key per term: the top 40 bits of its FNV-1a hash
//! and the service in the low byte, sorted, so that a model loads it with one base64 decoding
//! (6 bytes a term) and looks a term up from the slot its hash's top bits name. A term outside the
//! tail is taken for one of its n terms with a chance of n / 2⁴⁰ (3 in 100 million lookups for
//! the 37,000 terms of the shipped model).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Services a tail can tell apart: the service is the low byte of a key.
pub const MAX_SERVICES: usize = 256;

const SERVICE_BITS: u32 = 8;
const SERVICE_MASK: u64 = (1 << SERVICE_BITS) - 1;
const HASH_BITS: u32 = 40;
const KEY_BITS: u32 = HASH_BITS + SERVICE_BITS;
const KEY_BYTES: usize = KEY_BITS as usize / 8;

/// FNV-1a, 64 bits: a fixed function, so stored hashes stay valid whatever the hashers of the
/// crates this one depends on become.
fn fnv1a(term: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in term.as_bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The hash part of a key (its service byte cleared).
fn hash_part(term: &str) -> u64 {
    fnv1a(term) >> (64 - HASH_BITS) << SERVICE_BITS
}

/// Terms and the service each leans to, as an open-addressing table of their keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TailIndex {
    /// The keys, `hash_part(term) | service`, one per hash, by open addressing: each in the
    /// first free slot from the one the top bits of its hash name, [`EMPTY`] in the others, a
    /// quarter of the slots at least; no slots when there are no keys. A lookup mostly reads one
    /// cache line, where a bucket table needs two reads far apart. Built from the sorted keys,
    /// so the same keys give the same table.
    slots: Vec<u64>,
}

/// A free slot: no key has all 64 bits set (keys are 48 bits wide).
const EMPTY: u64 = u64::MAX;

impl TailIndex {
    /// The index of `(term, service)` pairs. Of two terms with the same hash (about one chance
    /// in a thousand for 40,000 terms) only the first one's service is kept, and both terms
    /// are taken for it.
    ///
    /// # Panics
    /// If a service is [`MAX_SERVICES`] or more.
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, usize)>) -> Self {
        let mut keys: Vec<u64> = entries
            .into_iter()
            .map(|(term, service)| {
                assert!(
                    service < MAX_SERVICES,
                    "service {service} beyond the tail's range"
                );
                hash_part(term) | service as u64
            })
            .collect();
        keys.sort_unstable();
        keys.dedup_by_key(|k| *k & !SERVICE_MASK);
        Self::from_keys(keys).expect("sorted keys with distinct hashes")
    }

    /// The index of stored keys, which must be sorted with distinct hashes.
    fn from_keys(keys: Vec<u64>) -> Result<Self, String> {
        if keys.iter().any(|&k| k >> KEY_BITS != 0) {
            return Err("tail keys are wider than 48 bits".into());
        }
        if keys
            .windows(2)
            .any(|w| w[0] & !SERVICE_MASK >= w[1] & !SERVICE_MASK)
        {
            return Err("tail keys are not sorted with distinct hashes".into());
        }
        if keys.len() >= u32::MAX as usize {
            return Err("too many tail keys".into());
        }
        let mut slots = Vec::new();
        if !keys.is_empty() {
            slots = vec![EMPTY; (keys.len() * 4 / 3 + 1).next_power_of_two()];
            let mask = slots.len() - 1;
            for &key in &keys {
                let mut i = Self::home(key, slots.len());
                while slots[i] != EMPTY {
                    i = (i + 1) & mask;
                }
                slots[i] = key;
            }
        }
        Ok(TailIndex { slots })
    }

    /// The slot a key's probe starts from: the top bits of its hash, as many as `slots` (a
    /// power of two) needs.
    fn home(key: u64, slots: usize) -> usize {
        (key >> (KEY_BITS - slots.trailing_zeros())) as usize
    }

    /// The keys, sorted: what is saved.
    fn keys(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = self.slots.iter().copied().filter(|&k| k != EMPTY).collect();
        keys.sort_unstable();
        keys
    }

    /// How many terms the tail holds.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|&&k| k != EMPTY).count()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The service the term leans to, if it is in the tail.
    pub fn service(&self, term: &str) -> Option<usize> {
        self.service_of_hash(hash_part(term))
    }

    /// [`TailIndex::service`] of a term with this hash part.
    fn service_of_hash(&self, hash: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = Self::home(hash, self.slots.len());
        // a quarter of the slots at least are free, so the probe ends
        loop {
            match self.slots[i] {
                EMPTY => return None,
                key if key & !SERVICE_MASK == hash => return Some((key & SERVICE_MASK) as usize),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The largest service index the tail refers to.
    pub fn max_service(&self) -> Option<usize> {
        self.slots
            .iter()
            .filter(|&&k| k != EMPTY)
            .map(|&k| (k & SERVICE_MASK) as usize)
            .max()
    }
}

/// Borrows the base64 text from the model file's bytes instead of copying it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored<'a> {
    terms: usize,
    /// The keys, 6 bytes each, little-endian, base64.
    #[serde(borrow)]
    keys_u48le: std::borrow::Cow<'a, str>,
}

impl Serialize for TailIndex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let keys = self.keys();
        let bytes: Vec<u8> = keys
            .iter()
            .flat_map(|k| k.to_le_bytes().into_iter().take(KEY_BYTES))
            .collect();
        Stored {
            terms: keys.len(),
            keys_u48le: STANDARD.encode(bytes).into(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TailIndex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let stored = Stored::deserialize(deserializer)?;
        let bytes = STANDARD
            .decode(stored.keys_u48le.as_bytes())
            .map_err(|e| D::Error::custom(format!("tail keys are not base64: {e}")))?;
        if Some(bytes.len()) != stored.terms.checked_mul(KEY_BYTES) {
            return Err(D::Error::custom(format!(
                "tail has {} bytes for {} terms",
                bytes.len(),
                stored.terms
            )));
        }
        let keys = bytes
            .chunks_exact(KEY_BYTES)
            .map(|c| {
                let mut key = [0u8; 8];
                key[..KEY_BYTES].copy_from_slice(c);
                u64::from_le_bytes(key)
            })
            .collect();
        TailIndex::from_keys(keys).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_term_and_only_them() {
        let tail = TailIndex::new([("w:rente", 9), ("b:mia pensione", 9), ("w:kurzarbeit", 3)]);
        assert_eq!(tail.len(), 3);
        assert_eq!(tail.service("w:rente"), Some(9));
        assert_eq!(tail.service("b:mia pensione"), Some(9));
        assert_eq!(tail.service("w:kurzarbeit"), Some(3));
        assert_eq!(tail.service("w:pensione"), None);
        assert_eq!(tail.service(""), None);
        assert_eq!(tail.max_service(), Some(9));
        assert_eq!(TailIndex::default().service("w:rente"), None);
    }

    proptest::proptest! {
        /// The slot table answers what a search of the sorted keys answers, also for keys
        /// crowded into a few slots and probes that run past the table's end.
        #[test]
        fn slots_answer_as_the_keys_do(
            services in proptest::collection::btree_map(
                proptest::prop_oneof![
                    0u64..(1 << HASH_BITS),
                    // the top slots, so that probes wrap around
                    ((1u64 << HASH_BITS) - 64)..(1 << HASH_BITS),
                    // a handful of hashes sharing their top bits
                    0u64..64,
                ],
                0u64..=SERVICE_MASK,
                1..300,
            ),
            probes in proptest::collection::vec(0u64..(1 << HASH_BITS), 50),
        ) {
            // each hash with a service of its own, so that a neighbour's answer is wrong
            let keys: Vec<u64> = services.iter().map(|(h, s)| h << SERVICE_BITS | s).collect();
            let tail = TailIndex::from_keys(keys.clone()).unwrap();
            proptest::prop_assert_eq!(tail.keys(), keys.clone());
            let by_search = |hash: u64| {
                keys.iter()
                    .find(|&&k| k & !SERVICE_MASK == hash)
                    .map(|&k| (k & SERVICE_MASK) as usize)
            };
            for hash in services.keys().chain(&probes).map(|h| h << SERVICE_BITS) {
                proptest::prop_assert_eq!(tail.service_of_hash(hash), by_search(hash));
            }
        }
    }

    #[test]
    fn round_trips_through_json() {
        let tail = TailIndex::new(
            (0..5000)
                .map(|i| (format!("w:t{i}"), i % 11))
                .collect::<Vec<_>>()
                .iter()
                .map(|(t, s)| (t.as_str(), *s)),
        );
        let json = serde_json::to_string(&tail).unwrap();
        let back: TailIndex = serde_json::from_str(&json).unwrap();
        assert_eq!(back, tail);
        for i in (0..5000).step_by(97) {
            assert_eq!(back.service(&format!("w:t{i}")), Some(i % 11));
        }
    }

    #[test]
    fn refuses_broken_stored_keys() {
        let bad_length = r#"{"terms": 2, "keys_u48le": "AAAAAAAA"}"#;
        assert!(serde_json::from_str::<TailIndex>(bad_length).is_err());
        let unsorted = TailIndex::from_keys(vec![5 << 8, 1 << 8]);
        assert!(unsorted.is_err());
        let same_hash = TailIndex::from_keys(vec![(1 << 8) | 1, (1 << 8) | 2]);
        assert!(same_hash.is_err());
        assert!(serde_json::from_str::<TailIndex>(r#"{"terms": 1, "keys_u48le": "!!"}"#).is_err());
        assert!(TailIndex::from_keys(vec![1 << 48]).is_err());
        // an escaped solidus in the base64 text is read through an owned copy
        let tail = TailIndex::new([("w:rente", 9)]);
        let json = serde_json::to_string(&tail).unwrap().replace('/', "\\/");
        assert_eq!(serde_json::from_str::<TailIndex>(&json).unwrap(), tail);
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // test vectors of the FNV reference
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
    }
}
