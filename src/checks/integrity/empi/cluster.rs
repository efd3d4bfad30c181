//! Clusters: connected components of the probable pairs (union–find), in
//! memory bounded by the records those pairs name.

use std::collections::HashMap;

use super::super::samples;

#[derive(Default)]
pub struct Clusters {
    index: HashMap<String, usize>,
    keys: Vec<String>,
    parent: Vec<usize>,
}

impl Clusters {
    fn id(&mut self, key: &str) -> usize {
        if let Some(i) = self.index.get(key) {
            return *i;
        }
        let i = self.keys.len();
        self.index.insert(key.to_string(), i);
        self.keys.push(key.to_string());
        self.parent.push(i);
        i
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    pub fn link(&mut self, a: &str, b: &str) {
        let (x, y) = (self.id(a), self.id(b));
        let (rx, ry) = (self.root(x), self.root(y));
        if rx != ry {
            self.parent[rx.max(ry)] = rx.min(ry);
        }
    }

    /// Every cluster's keys in key order, clusters by their smallest key.
    pub fn into_groups(mut self) -> Vec<Vec<String>> {
        let mut groups: HashMap<usize, Vec<String>> = HashMap::new();
        for i in 0..self.keys.len() {
            let r = self.root(i);
            groups.entry(r).or_default().push(self.keys[i].clone());
        }
        let mut out: Vec<Vec<String>> = groups.into_values().collect();
        for g in &mut out {
            samples::sort(g);
        }
        out.sort_by_cached_key(|g| samples::SampleKey(g[0].clone()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_make_components() {
        let mut c = Clusters::default();
        c.link("10", "2");
        c.link("7", "8");
        c.link("2", "3");
        assert_eq!(c.into_groups(), vec![vec!["2", "3", "10"], vec!["7", "8"]]);
    }
}
