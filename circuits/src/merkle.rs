//! A sparse Poseidon Merkle tree of fixed depth over account leaves (native reference).
//!
//! Leaves are indexed by account index; level 0 holds the leaf hashes and level `depth` the root.
//! Untouched subtrees hash to precomputed defaults, so a depth-20 tree (≈ 10⁶ accounts) costs memory
//! only for the accounts that exist. A node is `Poseidon(left, right)`.

pub mod constraints;

use std::collections::HashMap;

use ark_bn254::Fr;

use crate::poseidon::hash2;

/// Errors of the Merkle tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The leaf index does not fit in the tree.
    #[error("leaf index {index} out of range for a depth-{depth} tree")]
    IndexOutOfRange {
        /// The index requested.
        index: u64,
        /// The tree depth.
        depth: usize,
    },
}

/// An authentication path: the sibling of each node from the leaf up to (excluding) the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerklePath {
    /// Leaf index (its bits, little-endian, say at each level whether the node is a right child).
    pub index: u64,
    /// `siblings[l]` is the sibling at level `l` (0 = leaves).
    pub siblings: Vec<Fr>,
}

impl MerklePath {
    /// Recomputes the root from a leaf value along this path.
    pub fn root_from_leaf(&self, leaf: Fr) -> Fr {
        let mut node = leaf;
        for (level, sibling) in self.siblings.iter().enumerate() {
            node = if (self.index >> level) & 1 == 1 {
                hash2(*sibling, node)
            } else {
                hash2(node, *sibling)
            };
        }
        node
    }
}

/// A sparse Merkle tree of fixed depth.
#[derive(Debug, Clone)]
pub struct SparseMerkleTree {
    depth: usize,
    /// `defaults[l]` is the hash of an empty subtree whose root is at level `l`.
    defaults: Vec<Fr>,
    /// Non-default nodes, keyed by (level, index at that level).
    nodes: HashMap<(usize, u64), Fr>,
}

impl SparseMerkleTree {
    /// An empty tree of `depth` levels whose every leaf is `empty_leaf`.
    pub fn new(depth: usize, empty_leaf: Fr) -> Self {
        let mut defaults = Vec::with_capacity(depth + 1);
        defaults.push(empty_leaf);
        for level in 0..depth {
            let below = defaults[level];
            defaults.push(hash2(below, below));
        }
        Self {
            depth,
            defaults,
            nodes: HashMap::new(),
        }
    }

    /// Tree depth (number of levels above the leaves).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaves the tree can hold.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    fn node(&self, level: usize, index: u64) -> Fr {
        self.nodes
            .get(&(level, index))
            .copied()
            .unwrap_or(self.defaults[level])
    }

    fn check_index(&self, index: u64) -> Result<(), MerkleError> {
        if index >= self.capacity() {
            return Err(MerkleError::IndexOutOfRange {
                index,
                depth: self.depth,
            });
        }
        Ok(())
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.node(self.depth, 0)
    }

    /// The leaf at `index`.
    pub fn leaf(&self, index: u64) -> Result<Fr, MerkleError> {
        self.check_index(index)?;
        Ok(self.node(0, index))
    }

    /// The authentication path of leaf `index`.
    pub fn path(&self, index: u64) -> Result<MerklePath, MerkleError> {
        self.check_index(index)?;
        let siblings = (0..self.depth)
            .map(|level| self.node(level, (index >> level) ^ 1))
            .collect();
        Ok(MerklePath { index, siblings })
    }

    /// Sets leaf `index` to `leaf` and rehashes its path to the root.
    pub fn set(&mut self, index: u64, leaf: Fr) -> Result<(), MerkleError> {
        self.check_index(index)?;
        self.nodes.insert((0, index), leaf);
        let mut node = leaf;
        let mut position = index;
        for level in 0..self.depth {
            let sibling = self.node(level, position ^ 1);
            node = if position & 1 == 1 {
                hash2(sibling, node)
            } else {
                hash2(node, sibling)
            };
            position >>= 1;
            self.nodes.insert((level + 1, position), node);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_authenticate_leaves_and_updates_move_the_root() {
        let mut tree = SparseMerkleTree::new(8, Fr::from(0u64));
        let empty_root = tree.root();
        tree.set(5, Fr::from(42u64)).unwrap();
        tree.set(200, Fr::from(7u64)).unwrap();
        assert_ne!(tree.root(), empty_root);
        for index in [0u64, 5, 200, 255] {
            let path = tree.path(index).unwrap();
            assert_eq!(path.root_from_leaf(tree.leaf(index).unwrap()), tree.root());
        }
        let path = tree.path(5).unwrap();
        assert_ne!(path.root_from_leaf(Fr::from(43u64)), tree.root());
        assert_eq!(
            tree.set(256, Fr::from(1u64)),
            Err(MerkleError::IndexOutOfRange {
                index: 256,
                depth: 8
            })
        );
    }
}
