//! The proof-tree planner: which nodes prove a block of `n ≥ 1` transactions.
//!
//! Leaves are base nodes (one per transaction). For `n > 1` the left subtree covers the largest power
//! of two `< n` transactions and the right subtree the rest (Aztec's rule), so every subtree but the
//! rightmost is perfect; `n = 1` is a single leaf. A root node sits on the top node. Nodes are stored
//! children-first (post-order), so proving them in index order never waits on a missing child.

/// Errors of the planner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// A block needs at least one transaction.
    #[error("a block needs at least one transaction")]
    Empty,
}

/// What a node proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanNodeKind {
    /// A base proof of transaction `tx` (its index in the block).
    Base {
        /// Transaction index.
        tx: usize,
    },
    /// A merge of two adjacent children (node indices).
    Merge {
        /// Left child index.
        left: usize,
        /// Right child index.
        right: usize,
    },
    /// The block root over the top node.
    Root {
        /// Top node index.
        top: usize,
    },
}

/// One node of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanNode {
    /// What it proves.
    pub kind: PlanNodeKind,
    /// First transaction of the range it covers.
    pub first_tx: usize,
    /// Number of transactions it covers.
    pub tx_count: usize,
    /// Height above the leaves (leaves 0; the root one above the top node).
    pub height: usize,
    /// The parent node index (`None` for the root).
    pub parent: Option<usize>,
}

impl PlanNode {
    /// The node's children (none for a leaf).
    pub fn children(&self) -> Vec<usize> {
        match self.kind {
            PlanNodeKind::Base { .. } => Vec::new(),
            PlanNodeKind::Merge { left, right } => vec![left, right],
            PlanNodeKind::Root { top } => vec![top],
        }
    }
}

/// The proof tree of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreePlan {
    /// Nodes, children before parents; the root is last.
    pub nodes: Vec<PlanNode>,
    /// Index of the top node of the transaction tree (the root's child).
    pub top: usize,
}

/// The largest power of two strictly below `n` (`n ≥ 2`).
fn largest_power_of_two_below(n: usize) -> usize {
    let mut p = 1;
    while p * 2 < n {
        p *= 2;
    }
    p
}

impl TreePlan {
    /// Plans the tree for `tx_count` transactions.
    pub fn new(tx_count: usize) -> Result<Self, TreeError> {
        if tx_count == 0 {
            return Err(TreeError::Empty);
        }
        let mut nodes = Vec::with_capacity(2 * tx_count);
        let top = Self::build(&mut nodes, 0, tx_count);
        let height = nodes[top].height + 1;
        nodes.push(PlanNode {
            kind: PlanNodeKind::Root { top },
            first_tx: 0,
            tx_count,
            height,
            parent: None,
        });
        let root = nodes.len() - 1;
        nodes[top].parent = Some(root);
        Ok(Self { nodes, top })
    }

    fn build(nodes: &mut Vec<PlanNode>, first_tx: usize, tx_count: usize) -> usize {
        if tx_count == 1 {
            nodes.push(PlanNode {
                kind: PlanNodeKind::Base { tx: first_tx },
                first_tx,
                tx_count,
                height: 0,
                parent: None,
            });
            return nodes.len() - 1;
        }
        let split = largest_power_of_two_below(tx_count);
        let left = Self::build(nodes, first_tx, split);
        let right = Self::build(nodes, first_tx + split, tx_count - split);
        let height = nodes[left].height.max(nodes[right].height) + 1;
        nodes.push(PlanNode {
            kind: PlanNodeKind::Merge { left, right },
            first_tx,
            tx_count,
            height,
            parent: None,
        });
        let index = nodes.len() - 1;
        nodes[left].parent = Some(index);
        nodes[right].parent = Some(index);
        index
    }

    /// Index of the root node (always the last).
    pub fn root(&self) -> usize {
        self.nodes.len() - 1
    }

    /// Number of transactions.
    pub fn tx_count(&self) -> usize {
        self.nodes[self.root()].tx_count
    }

    /// Indices of the base nodes, in transaction order.
    pub fn leaves(&self) -> Vec<usize> {
        let mut leaves: Vec<(usize, usize)> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match n.kind {
                PlanNodeKind::Base { tx } => Some((tx, i)),
                _ => None,
            })
            .collect();
        leaves.sort_unstable();
        leaves.into_iter().map(|(_, i)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_plan(n: usize) -> TreePlan {
        let plan = TreePlan::new(n).unwrap();
        // n leaves, n - 1 merges, one root.
        assert_eq!(plan.nodes.len(), 2 * n);
        assert_eq!(plan.leaves().len(), n);
        assert_eq!(plan.tx_count(), n);
        assert_eq!(plan.nodes[plan.root()].parent, None);
        assert_eq!(
            plan.nodes[plan.root()].kind,
            PlanNodeKind::Root { top: plan.top }
        );
        for (index, node) in plan.nodes.iter().enumerate() {
            for child in node.children() {
                assert!(child < index, "children come first");
                assert_eq!(plan.nodes[child].parent, Some(index));
            }
            if let PlanNodeKind::Merge { left, right } = node.kind {
                let (l, r) = (plan.nodes[left], plan.nodes[right]);
                assert_eq!(l.first_tx, node.first_tx);
                assert_eq!(l.first_tx + l.tx_count, r.first_tx, "adjacent ranges");
                assert_eq!(l.tx_count + r.tx_count, node.tx_count);
                assert!(l.tx_count.is_power_of_two() && l.tx_count < node.tx_count);
                assert!(
                    l.tx_count * 2 >= node.tx_count,
                    "left is the largest power of two < n"
                );
            }
        }
        for (tx, leaf) in plan.leaves().into_iter().enumerate() {
            assert_eq!(plan.nodes[leaf].kind, PlanNodeKind::Base { tx });
        }
        plan
    }

    #[test]
    fn plans_for_assorted_sizes() {
        let one = check_plan(1);
        assert_eq!(one.nodes[one.top].kind, PlanNodeKind::Base { tx: 0 });
        let two = check_plan(2);
        assert_eq!(
            two.nodes[two.top].kind,
            PlanNodeKind::Merge { left: 0, right: 1 }
        );
        let three = check_plan(3);
        let PlanNodeKind::Merge { left, right } = three.nodes[three.top].kind else {
            panic!()
        };
        assert_eq!(
            (three.nodes[left].tx_count, three.nodes[right].tx_count),
            (2, 1)
        );
        let five = check_plan(5);
        let PlanNodeKind::Merge { left, right } = five.nodes[five.top].kind else {
            panic!()
        };
        assert_eq!(
            (five.nodes[left].tx_count, five.nodes[right].tx_count),
            (4, 1)
        );
        let eight = check_plan(8);
        assert_eq!(eight.nodes[eight.top].height, 3);
        let thirteen = check_plan(13);
        let PlanNodeKind::Merge { left, right } = thirteen.nodes[thirteen.top].kind else {
            panic!()
        };
        assert_eq!(
            (
                thirteen.nodes[left].tx_count,
                thirteen.nodes[right].tx_count
            ),
            (8, 5)
        );
        assert_eq!(TreePlan::new(0), Err(TreeError::Empty));
    }
}
