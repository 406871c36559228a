//! A small XPath 1.0 evaluator over roxmltree, enough for the `Report` and
//! `Assert` expressions of the NIST test plans (abbreviated location paths,
//! predicates, `local-name()`, `count()`, `string()`, `substring()`,
//! comparisons, `and`/`or`/`not`). No variables, no namespace prefixes.

use roxmltree::{Document, Node};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("XPath {expr:?}: {reason}")]
pub struct XPathError {
    pub expr: String,
    pub reason: String,
}

fn err(expr: &str, reason: impl Into<String>) -> XPathError {
    XPathError {
        expr: expr.to_string(),
        reason: reason.into(),
    }
}

/// Evaluates `expr` against `doc` and converts the result to a boolean
/// (what an `Assert` means).
pub fn eval_bool(expr: &str, doc: &Document<'_>) -> Result<bool, XPathError> {
    Ok(eval(expr, doc)?.boolean())
}

/// The string value of `expr` (first node in document order for node-sets);
/// None when the expression selects no node (a `Report` without value).
pub fn eval_string(expr: &str, doc: &Document<'_>) -> Result<Option<String>, XPathError> {
    Ok(match eval(expr, doc)? {
        Value::Nodes(n) => n.first().map(|x| x.string_value()),
        v => Some(v.string()),
    })
}

/// Parses and evaluates with the document root as context node.
pub fn eval<'a, 'i>(expr: &str, doc: &'a Document<'i>) -> Result<Value<'a, 'i>, XPathError> {
    let tokens = lex(expr).map_err(|r| err(expr, r))?;
    let mut p = Parser {
        toks: &tokens,
        pos: 0,
    };
    let ast = p.expr().map_err(|r| err(expr, r))?;
    if p.pos != tokens.len() {
        return Err(err(
            expr,
            format!("unexpected token {:?}", tokens.get(p.pos)),
        ));
    }
    let ctx = Ctx {
        node: XNode::Node(doc.root()),
        pos: 1,
        size: 1,
    };
    ast.eval(&ctx).map_err(|r| err(expr, r))
}

// ---------------------------------------------------------------- values

/// A node of the data model: a tree node or one attribute of an element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum XNode<'a, 'i> {
    Node(Node<'a, 'i>),
    Attr(Node<'a, 'i>, usize),
}

impl<'a, 'i> XNode<'a, 'i> {
    fn order_key(&self) -> (usize, usize) {
        match self {
            XNode::Node(n) => (n.id().get_usize(), 0),
            XNode::Attr(n, i) => (n.id().get_usize(), i + 1),
        }
    }

    pub fn string_value(&self) -> String {
        match self {
            XNode::Node(n) if n.is_text() => n.text().unwrap_or_default().to_string(),
            XNode::Node(n) => n
                .descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect(),
            XNode::Attr(n, i) => n
                .attributes()
                .nth(*i)
                .map(|a| a.value().to_string())
                .unwrap_or_default(),
        }
    }

    fn local_name(&self) -> String {
        match self {
            XNode::Node(n) if n.is_element() => n.tag_name().name().to_string(),
            XNode::Node(_) => String::new(),
            XNode::Attr(n, i) => n
                .attributes()
                .nth(*i)
                .map(|a| a.name().to_string())
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Value<'a, 'i> {
    Nodes(Vec<XNode<'a, 'i>>),
    Str(String),
    Num(f64),
    Bool(bool),
}

impl Value<'_, '_> {
    pub fn boolean(&self) -> bool {
        match self {
            Value::Nodes(n) => !n.is_empty(),
            Value::Str(s) => !s.is_empty(),
            Value::Num(x) => *x != 0.0 && !x.is_nan(),
            Value::Bool(b) => *b,
        }
    }

    pub fn string(&self) -> String {
        match self {
            Value::Nodes(n) => n.first().map(|x| x.string_value()).unwrap_or_default(),
            Value::Str(s) => s.clone(),
            Value::Num(x) => number_to_string(*x),
            Value::Bool(b) => b.to_string(),
        }
    }

    pub fn number(&self) -> f64 {
        match self {
            Value::Num(x) => *x,
            Value::Bool(b) => f64::from(u8::from(*b)),
            other => string_to_number(&other.string()),
        }
    }
}

fn string_to_number(s: &str) -> f64 {
    let t = s.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let valid = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.chars().filter(|c| *c == '.').count() <= 1
        && body != ".";
    if valid {
        t.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Slash,
    DSlash,
    LBracket,
    RBracket,
    LParen,
    RParen,
    At,
    Comma,
    Pipe,
    Dot,
    DDot,
    DColon,
    /// `*` as a name test.
    AnyName,
    Op(Op),
    Lit(String),
    Num(f64),
    Name(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Mul,
    Div,
    Mod,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<Tok> = Vec::new();
    let mut i = 0;
    // XPath 1.0 §3.7: `*` and operator names are operators only after an operand.
    let after_operand = |out: &Vec<Tok>| {
        matches!(
            out.last(),
            Some(
                Tok::RBracket
                    | Tok::RParen
                    | Tok::Dot
                    | Tok::DDot
                    | Tok::AnyName
                    | Tok::Lit(_)
                    | Tok::Num(_)
                    | Tok::Name(_)
            )
        )
    };
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '/' if next == Some('/') => {
                out.push(Tok::DSlash);
                i += 2;
            }
            '/' => {
                out.push(Tok::Slash);
                i += 1;
            }
            '[' => {
                out.push(Tok::LBracket);
                i += 1;
            }
            ']' => {
                out.push(Tok::RBracket);
                i += 1;
            }
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            '@' => {
                out.push(Tok::At);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '|' => {
                out.push(Tok::Pipe);
                i += 1;
            }
            ':' if next == Some(':') => {
                out.push(Tok::DColon);
                i += 2;
            }
            '.' if next == Some('.') => {
                out.push(Tok::DDot);
                i += 2;
            }
            '.' if !next.is_some_and(|n| n.is_ascii_digit()) => {
                out.push(Tok::Dot);
                i += 1;
            }
            '*' => {
                out.push(if after_operand(&out) {
                    Tok::Op(Op::Mul)
                } else {
                    Tok::AnyName
                });
                i += 1;
            }
            '=' => {
                out.push(Tok::Op(Op::Eq));
                i += 1;
            }
            '!' if next == Some('=') => {
                out.push(Tok::Op(Op::Ne));
                i += 2;
            }
            '<' if next == Some('=') => {
                out.push(Tok::Op(Op::Le));
                i += 2;
            }
            '<' => {
                out.push(Tok::Op(Op::Lt));
                i += 1;
            }
            '>' if next == Some('=') => {
                out.push(Tok::Op(Op::Ge));
                i += 2;
            }
            '>' => {
                out.push(Tok::Op(Op::Gt));
                i += 1;
            }
            '+' => {
                out.push(Tok::Op(Op::Plus));
                i += 1;
            }
            '-' => {
                out.push(Tok::Op(Op::Minus));
                i += 1;
            }
            '"' | '\'' => {
                let end = chars
                    .get(i + 1..)
                    .and_then(|rest| rest.iter().position(|x| *x == c))
                    .ok_or("unterminated string literal")?;
                out.push(Tok::Lit(
                    chars
                        .get(i + 1..i + 1 + end)
                        .unwrap_or_default()
                        .iter()
                        .collect(),
                ));
                i += end + 2;
            }
            c if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|x| x.is_ascii_digit() || *x == '.')
                {
                    i += 1;
                }
                let text: String = chars.get(start..i).unwrap_or_default().iter().collect();
                out.push(Tok::Num(
                    text.parse().map_err(|_| format!("bad number {text}"))?,
                ));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|x| x.is_alphanumeric() || matches!(x, '_' | '-' | '.'))
                {
                    i += 1;
                }
                // QName `prefix:local` (but not the `::` of an axis).
                if chars.get(i) == Some(&':') && chars.get(i + 1) != Some(&':') {
                    i += 1;
                    while chars
                        .get(i)
                        .is_some_and(|x| x.is_alphanumeric() || matches!(x, '_' | '-' | '.' | '*'))
                    {
                        i += 1;
                    }
                }
                let name: String = chars.get(start..i).unwrap_or_default().iter().collect();
                let op = match name.as_str() {
                    "and" => Some(Op::And),
                    "or" => Some(Op::Or),
                    "div" => Some(Op::Div),
                    "mod" => Some(Op::Mod),
                    _ => None,
                };
                match op {
                    Some(op) if after_operand(&out) => out.push(Tok::Op(op)),
                    _ => out.push(Tok::Name(name)),
                }
            }
            other => return Err(format!("unexpected character {other:?}")),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- parser

#[derive(Debug, Clone, Copy, PartialEq)]
enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    Parent,
    Ancestor,
    AncestorOrSelf,
    Attribute,
    Itself,
    FollowingSibling,
    PrecedingSibling,
}

#[derive(Debug, Clone, PartialEq)]
enum NodeTest {
    AnyName,
    Name(String),
    Text,
    AnyNode,
}

#[derive(Debug, Clone)]
struct Step {
    axis: Axis,
    test: NodeTest,
    predicates: Vec<Expr>,
}

#[derive(Debug, Clone)]
enum Expr {
    Binary(Op, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Union(Box<Expr>, Box<Expr>),
    /// A location path; `start` None = from the context node, Some = a filter
    /// expression (or the root for absolute paths) the steps continue from.
    Path {
        start: Option<Box<Expr>>,
        absolute: bool,
        steps: Vec<Step>,
    },
    Filter(Box<Expr>, Vec<Expr>),
    Lit(String),
    Num(f64),
    Call(String, Vec<Expr>),
}

struct Parser<'t> {
    toks: &'t [Tok],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n)
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Tok) -> Result<(), String> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(format!("expected {t:?}, found {:?}", self.peek()))
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.binary(0)
    }

    /// Precedence climbing over or < and < equality < relational < additive < multiplicative.
    fn binary(&mut self, level: usize) -> Result<Expr, String> {
        const LEVELS: &[&[Op]] = &[
            &[Op::Or],
            &[Op::And],
            &[Op::Eq, Op::Ne],
            &[Op::Lt, Op::Le, Op::Gt, Op::Ge],
            &[Op::Plus, Op::Minus],
            &[Op::Mul, Op::Div, Op::Mod],
        ];
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.binary(level + 1)?;
        while let Some(Tok::Op(op)) = self.peek() {
            let op = *op;
            if !ops.contains(&op) {
                break;
            }
            self.pos += 1;
            let right = self.binary(level + 1)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat(&Tok::Op(Op::Minus)) {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        let mut left = self.path_expr()?;
        while self.eat(&Tok::Pipe) {
            let right = self.path_expr()?;
            left = Expr::Union(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn starts_primary(&self) -> bool {
        match self.peek() {
            Some(Tok::Lit(_) | Tok::Num(_) | Tok::LParen) => true,
            Some(Tok::Name(n)) => {
                self.peek_at(1) == Some(&Tok::LParen)
                    && !matches!(n.as_str(), "text" | "node" | "comment")
            }
            _ => false,
        }
    }

    fn path_expr(&mut self) -> Result<Expr, String> {
        if self.starts_primary() {
            let primary = self.primary()?;
            let mut preds = Vec::new();
            while self.peek() == Some(&Tok::LBracket) {
                preds.push(self.predicate()?);
            }
            let filter = if preds.is_empty() {
                primary
            } else {
                Expr::Filter(Box::new(primary), preds)
            };
            if matches!(self.peek(), Some(Tok::Slash | Tok::DSlash)) {
                let steps = self.relative_steps(true)?;
                return Ok(Expr::Path {
                    start: Some(Box::new(filter)),
                    absolute: false,
                    steps,
                });
            }
            return Ok(filter);
        }
        match self.peek() {
            Some(Tok::Slash) => {
                self.pos += 1;
                let steps = if self.starts_step() {
                    self.relative_steps(false)?
                } else {
                    Vec::new()
                };
                Ok(Expr::Path {
                    start: None,
                    absolute: true,
                    steps,
                })
            }
            Some(Tok::DSlash) => {
                let steps = self.relative_steps(true)?;
                Ok(Expr::Path {
                    start: None,
                    absolute: true,
                    steps,
                })
            }
            _ => {
                let steps = self.relative_steps(false)?;
                Ok(Expr::Path {
                    start: None,
                    absolute: false,
                    steps,
                })
            }
        }
    }

    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            Some(Tok::Dot | Tok::DDot | Tok::At | Tok::AnyName | Tok::Name(_))
        )
    }

    /// Steps separated by `/` or `//`; with `leading_sep`, a separator comes first.
    fn relative_steps(&mut self, leading_sep: bool) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        let mut need_sep = leading_sep;
        loop {
            if need_sep {
                match self.peek() {
                    Some(Tok::Slash) => self.pos += 1,
                    Some(Tok::DSlash) => {
                        self.pos += 1;
                        steps.push(Step {
                            axis: Axis::DescendantOrSelf,
                            test: NodeTest::AnyNode,
                            predicates: Vec::new(),
                        });
                    }
                    _ => break,
                }
            }
            steps.push(self.step()?);
            need_sep = true;
        }
        Ok(steps)
    }

    fn step(&mut self) -> Result<Step, String> {
        if self.eat(&Tok::Dot) {
            return Ok(Step {
                axis: Axis::Itself,
                test: NodeTest::AnyNode,
                predicates: Vec::new(),
            });
        }
        if self.eat(&Tok::DDot) {
            return Ok(Step {
                axis: Axis::Parent,
                test: NodeTest::AnyNode,
                predicates: Vec::new(),
            });
        }
        let mut axis = Axis::Child;
        if self.eat(&Tok::At) {
            axis = Axis::Attribute;
        } else if let (Some(Tok::Name(n)), Some(Tok::DColon)) = (self.peek(), self.peek_at(1)) {
            axis = match n.as_str() {
                "child" => Axis::Child,
                "descendant" => Axis::Descendant,
                "descendant-or-self" => Axis::DescendantOrSelf,
                "parent" => Axis::Parent,
                "ancestor" => Axis::Ancestor,
                "ancestor-or-self" => Axis::AncestorOrSelf,
                "attribute" => Axis::Attribute,
                "self" => Axis::Itself,
                "following-sibling" => Axis::FollowingSibling,
                "preceding-sibling" => Axis::PrecedingSibling,
                other => return Err(format!("unsupported axis {other}")),
            };
            self.pos += 2;
        }
        let test = match self.peek().cloned() {
            Some(Tok::AnyName) => {
                self.pos += 1;
                NodeTest::AnyName
            }
            Some(Tok::Name(n)) if self.peek_at(1) == Some(&Tok::LParen) => {
                self.pos += 2;
                self.expect(&Tok::RParen)?;
                match n.as_str() {
                    "text" => NodeTest::Text,
                    "node" => NodeTest::AnyNode,
                    other => return Err(format!("unsupported node test {other}()")),
                }
            }
            Some(Tok::Name(n)) => {
                self.pos += 1;
                if n.contains(':') {
                    return Err(format!(
                        "namespace prefixes are not supported ({n}); use local-name()"
                    ));
                }
                NodeTest::Name(n)
            }
            other => return Err(format!("expected a step, found {other:?}")),
        };
        let mut predicates = Vec::new();
        while self.peek() == Some(&Tok::LBracket) {
            predicates.push(self.predicate()?);
        }
        Ok(Step {
            axis,
            test,
            predicates,
        })
    }

    fn predicate(&mut self) -> Result<Expr, String> {
        self.expect(&Tok::LBracket)?;
        let e = self.expr()?;
        self.expect(&Tok::RBracket)?;
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.peek().cloned() {
            Some(Tok::Lit(s)) => {
                self.pos += 1;
                Ok(Expr::Lit(s))
            }
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(Expr::Num(n))
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.expr()?;
                self.expect(&Tok::RParen)?;
                Ok(e)
            }
            Some(Tok::Name(name)) => {
                self.pos += 2;
                let mut args = Vec::new();
                if !self.eat(&Tok::RParen) {
                    loop {
                        args.push(self.expr()?);
                        if self.eat(&Tok::RParen) {
                            break;
                        }
                        self.expect(&Tok::Comma)?;
                    }
                }
                Ok(Expr::Call(name, args))
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

// ---------------------------------------------------------------- evaluation

struct Ctx<'a, 'i> {
    node: XNode<'a, 'i>,
    pos: usize,
    size: usize,
}

fn sort_unique<'a, 'i>(nodes: &mut Vec<XNode<'a, 'i>>) {
    nodes.sort_by_key(|n| n.order_key());
    nodes.dedup_by_key(|n| n.order_key());
}

impl Expr {
    fn eval<'a, 'i>(&self, ctx: &Ctx<'a, 'i>) -> Result<Value<'a, 'i>, String> {
        match self {
            Expr::Lit(s) => Ok(Value::Str(s.clone())),
            Expr::Num(n) => Ok(Value::Num(*n)),
            Expr::Neg(e) => Ok(Value::Num(-e.eval(ctx)?.number())),
            Expr::Binary(Op::Or, l, r) => Ok(Value::Bool(
                l.eval(ctx)?.boolean() || r.eval(ctx)?.boolean(),
            )),
            Expr::Binary(Op::And, l, r) => Ok(Value::Bool(
                l.eval(ctx)?.boolean() && r.eval(ctx)?.boolean(),
            )),
            Expr::Binary(op @ (Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge), l, r) => {
                Ok(Value::Bool(compare(*op, &l.eval(ctx)?, &r.eval(ctx)?)))
            }
            Expr::Binary(op, l, r) => {
                let (a, b) = (l.eval(ctx)?.number(), r.eval(ctx)?.number());
                Ok(Value::Num(match op {
                    Op::Plus => a + b,
                    Op::Minus => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    _ => a % b,
                }))
            }
            Expr::Union(l, r) => match (l.eval(ctx)?, r.eval(ctx)?) {
                (Value::Nodes(mut a), Value::Nodes(b)) => {
                    a.extend(b);
                    sort_unique(&mut a);
                    Ok(Value::Nodes(a))
                }
                _ => Err("| needs node-sets".into()),
            },
            Expr::Filter(primary, preds) => {
                let Value::Nodes(nodes) = primary.eval(ctx)? else {
                    return Err("a predicate needs a node-set".into());
                };
                Ok(Value::Nodes(apply_predicates(nodes, preds)?))
            }
            Expr::Path {
                start,
                absolute,
                steps,
            } => {
                let mut nodes = match (start, absolute) {
                    (Some(s), _) => match s.eval(ctx)? {
                        Value::Nodes(n) => n,
                        _ => return Err("a path must start from a node-set".into()),
                    },
                    (None, true) => vec![XNode::Node(root_of(ctx.node))],
                    (None, false) => vec![ctx.node],
                };
                for step in steps {
                    let mut next = Vec::new();
                    for n in &nodes {
                        let selected: Vec<XNode> = axis_nodes(*n, step.axis)
                            .into_iter()
                            .filter(|c| matches_test(c, step))
                            .collect();
                        next.extend(apply_predicates(selected, &step.predicates)?);
                    }
                    sort_unique(&mut next);
                    nodes = next;
                }
                Ok(Value::Nodes(nodes))
            }
            Expr::Call(name, args) => call(name, args, ctx),
        }
    }
}

fn root_of<'a, 'i>(n: XNode<'a, 'i>) -> Node<'a, 'i> {
    match n {
        XNode::Node(n) | XNode::Attr(n, _) => n.document().root(),
    }
}

/// Predicates filter with proximity positions in axis order.
fn apply_predicates<'a, 'i>(
    mut nodes: Vec<XNode<'a, 'i>>,
    preds: &[Expr],
) -> Result<Vec<XNode<'a, 'i>>, String> {
    for p in preds {
        let size = nodes.len();
        let mut kept = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            let ctx = Ctx {
                node: *n,
                pos: i + 1,
                size,
            };
            let keep = match p.eval(&ctx)? {
                Value::Num(x) => x == (i + 1) as f64,
                v => v.boolean(),
            };
            if keep {
                kept.push(*n);
            }
        }
        nodes = kept;
    }
    Ok(nodes)
}

/// The nodes of an axis, in axis order (reverse axes nearest first).
fn axis_nodes<'a, 'i>(n: XNode<'a, 'i>, axis: Axis) -> Vec<XNode<'a, 'i>> {
    let node = match n {
        XNode::Node(node) => node,
        XNode::Attr(owner, _) => {
            return match axis {
                Axis::Parent => vec![XNode::Node(owner)],
                Axis::Itself => vec![n],
                Axis::Ancestor | Axis::AncestorOrSelf => {
                    let mut v = if axis == Axis::AncestorOrSelf {
                        vec![n]
                    } else {
                        Vec::new()
                    };
                    v.extend(owner.ancestors().map(XNode::Node));
                    v
                }
                _ => Vec::new(),
            };
        }
    };
    match axis {
        Axis::Child => node.children().map(XNode::Node).collect(),
        Axis::Descendant => node.descendants().skip(1).map(XNode::Node).collect(),
        Axis::DescendantOrSelf => node.descendants().map(XNode::Node).collect(),
        Axis::Parent => node.parent().map(XNode::Node).into_iter().collect(),
        Axis::Ancestor => node.ancestors().skip(1).map(XNode::Node).collect(),
        Axis::AncestorOrSelf => node.ancestors().map(XNode::Node).collect(),
        Axis::Attribute => (0..node.attributes().len())
            .map(|i| XNode::Attr(node, i))
            .collect(),
        Axis::Itself => vec![n],
        Axis::FollowingSibling => node.next_siblings().skip(1).map(XNode::Node).collect(),
        Axis::PrecedingSibling => node.prev_siblings().skip(1).map(XNode::Node).collect(),
    }
}

fn matches_test(n: &XNode<'_, '_>, step: &Step) -> bool {
    let principal_attr = step.axis == Axis::Attribute;
    match (&step.test, n) {
        (NodeTest::AnyNode, _) => true,
        (NodeTest::Text, XNode::Node(x)) => x.is_text(),
        (NodeTest::Text, XNode::Attr(..)) => false,
        (NodeTest::AnyName, XNode::Attr(..)) => principal_attr,
        (NodeTest::AnyName, XNode::Node(x)) => !principal_attr && x.is_element(),
        (NodeTest::Name(name), XNode::Attr(owner, i)) => {
            principal_attr
                && owner
                    .attributes()
                    .nth(*i)
                    .is_some_and(|a| a.name() == name && a.namespace().is_none())
        }
        (NodeTest::Name(name), XNode::Node(x)) => {
            !principal_attr
                && x.is_element()
                && x.tag_name().name() == name
                && x.tag_name().namespace().is_none()
        }
    }
}

/// XPath 1.0 §3.4 comparisons, existential over node-sets.
fn compare(op: Op, a: &Value<'_, '_>, b: &Value<'_, '_>) -> bool {
    fn atom(op: Op, a: &Atom, b: &Atom) -> bool {
        match op {
            Op::Eq | Op::Ne => {
                let eq = match (a, b) {
                    (Atom::B(x), y) | (y, Atom::B(x)) => *x == y.boolean(),
                    (Atom::N(x), y) | (y, Atom::N(x)) => *x == y.number(),
                    (Atom::S(x), Atom::S(y)) => x == y,
                };
                if op == Op::Eq { eq } else { !eq }
            }
            _ => {
                let (x, y) = (a.number(), b.number());
                match x.partial_cmp(&y) {
                    Some(Ordering::Less) => matches!(op, Op::Lt | Op::Le),
                    Some(Ordering::Equal) => matches!(op, Op::Le | Op::Ge),
                    Some(Ordering::Greater) => matches!(op, Op::Gt | Op::Ge),
                    None => false,
                }
            }
        }
    }
    let atoms = |v: &Value<'_, '_>, other: &Value<'_, '_>| -> Vec<Atom> {
        match v {
            Value::Nodes(ns) => match other {
                // A node-set compared with a boolean is its boolean value.
                Value::Bool(_) => vec![Atom::B(!ns.is_empty())],
                Value::Num(_) => ns
                    .iter()
                    .map(|n| Atom::N(string_to_number(&n.string_value())))
                    .collect(),
                _ => ns.iter().map(|n| Atom::S(n.string_value())).collect(),
            },
            Value::Str(s) => vec![Atom::S(s.clone())],
            Value::Num(x) => vec![Atom::N(*x)],
            Value::Bool(x) => vec![Atom::B(*x)],
        }
    };
    let (left, right) = (atoms(a, b), atoms(b, a));
    left.iter().any(|x| right.iter().any(|y| atom(op, x, y)))
}

enum Atom {
    S(String),
    N(f64),
    B(bool),
}

impl Atom {
    fn number(&self) -> f64 {
        match self {
            Atom::S(s) => string_to_number(s),
            Atom::N(x) => *x,
            Atom::B(b) => f64::from(u8::from(*b)),
        }
    }

    fn boolean(&self) -> bool {
        match self {
            Atom::S(s) => !s.is_empty(),
            Atom::N(x) => *x != 0.0 && !x.is_nan(),
            Atom::B(b) => *b,
        }
    }
}

fn call<'a, 'i>(name: &str, args: &[Expr], ctx: &Ctx<'a, 'i>) -> Result<Value<'a, 'i>, String> {
    let arg = |i: usize| -> Result<Value<'a, 'i>, String> {
        args.get(i)
            .ok_or_else(|| format!("{name}() needs argument {}", i + 1))?
            .eval(ctx)
    };
    let string_arg = |i: usize| -> Result<String, String> {
        if args.is_empty() && i == 0 {
            Ok(ctx.node.string_value())
        } else {
            Ok(arg(i)?.string())
        }
    };
    let first_node = |i: usize| -> Result<Option<XNode<'a, 'i>>, String> {
        if args.is_empty() {
            return Ok(Some(ctx.node));
        }
        match arg(i)? {
            Value::Nodes(n) => Ok(n.first().copied()),
            _ => Err(format!("{name}() needs a node-set")),
        }
    };
    Ok(match name {
        "local-name" | "name" => {
            Value::Str(first_node(0)?.map(|n| n.local_name()).unwrap_or_default())
        }
        "count" => match arg(0)? {
            Value::Nodes(n) => Value::Num(n.len() as f64),
            _ => return Err("count() needs a node-set".into()),
        },
        "string" => Value::Str(string_arg(0)?),
        "number" => Value::Num(if args.is_empty() {
            string_to_number(&ctx.node.string_value())
        } else {
            arg(0)?.number()
        }),
        "boolean" => Value::Bool(arg(0)?.boolean()),
        "not" => Value::Bool(!arg(0)?.boolean()),
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "position" => Value::Num(ctx.pos as f64),
        "last" => Value::Num(ctx.size as f64),
        "concat" => {
            let mut s = String::new();
            for i in 0..args.len() {
                s.push_str(&arg(i)?.string());
            }
            Value::Str(s)
        }
        "contains" => Value::Bool(arg(0)?.string().contains(&arg(1)?.string())),
        "starts-with" => Value::Bool(arg(0)?.string().starts_with(&arg(1)?.string())),
        "string-length" => Value::Num(string_arg(0)?.chars().count() as f64),
        "normalize-space" => Value::Str(
            string_arg(0)?
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "substring-before" => {
            let (s, t) = (arg(0)?.string(), arg(1)?.string());
            Value::Str(s.find(&t).map(|i| s[..i].to_string()).unwrap_or_default())
        }
        "substring-after" => {
            let (s, t) = (arg(0)?.string(), arg(1)?.string());
            Value::Str(
                s.find(&t)
                    .map(|i| s[i + t.len()..].to_string())
                    .unwrap_or_default(),
            )
        }
        "substring" => {
            let s = arg(0)?.string();
            let start = arg(1)?.number().round();
            let end = if args.len() > 2 {
                start + arg(2)?.number().round()
            } else {
                f64::INFINITY
            };
            Value::Str(
                s.chars()
                    .enumerate()
                    .filter(|(i, _)| {
                        let p = (*i + 1) as f64;
                        p >= start && p < end
                    })
                    .map(|(_, c)| c)
                    .collect(),
            )
        }
        "sum" => match arg(0)? {
            Value::Nodes(n) => {
                Value::Num(n.iter().map(|x| string_to_number(&x.string_value())).sum())
            }
            _ => return Err("sum() needs a node-set".into()),
        },
        "floor" => Value::Num(arg(0)?.number().floor()),
        "ceiling" => Value::Num(arg(0)?.number().ceil()),
        "round" => Value::Num(arg(0)?.number().round()),
        other => return Err(format!("unsupported function {other}()")),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const LOG: &str = r#"<TestResults>
      <TestStep id="by_uid">
        <StoredQueryTransaction>
          <Result>
            <query:AdhocQueryResponse xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
              <rim:RegistryObjectList>
                <rim:ExtrinsicObject id="urn:uuid:1" lid="urn:uuid:1" status="urn:oasis:names:tc:ebxml-regrep:StatusType:Approved">
                  <rim:Slot name="repositoryUniqueId"><rim:ValueList><rim:Value>1.2.3</rim:Value></rim:ValueList></rim:Slot>
                  <rim:Name><rim:LocalizedString value="Physical"/></rim:Name>
                  <rim:ExternalIdentifier identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" value="P1^^^&amp;1.2&amp;ISO"/>
                </rim:ExtrinsicObject>
                <rim:ExtrinsicObject id="urn:uuid:2" lid="urn:uuid:9" status="urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"/>
                <rim:RegistryPackage id="urn:uuid:3">
                  <rim:Slot name="lastUpdateTime"><rim:ValueList><rim:Value>20240131120000</rim:Value></rim:ValueList></rim:Slot>
                  <rim:ExternalIdentifier identificationScheme="urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a" value="x"/>
                </rim:RegistryPackage>
                <rim:Association id="a1" sourceObject="urn:uuid:1" targetObject="urn:uuid:2"/>
              </rim:RegistryObjectList>
            </query:AdhocQueryResponse>
          </Result>
        </StoredQueryTransaction>
      </TestStep>
    </TestResults>"#;

    fn doc() -> Document<'static> {
        Document::parse(LOG).unwrap()
    }

    fn b(expr: &str) -> bool {
        eval_bool(expr, &doc()).unwrap()
    }

    fn s(expr: &str) -> Option<String> {
        eval_string(expr, &doc()).unwrap()
    }

    #[test]
    fn existential_attribute_comparison() {
        assert!(b(
            "//*[local-name()='ExtrinsicObject']/@status = 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved'"
        ));
        assert!(b(
            "//*[local-name()='ExtrinsicObject']/@status = 'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated'"
        ));
        assert!(!b("//*[local-name()='ExtrinsicObject']/@status = 'nope'"));
        assert!(b(
            "//*[local-name()='ExtrinsicObject']/@id != //*[local-name()='ExtrinsicObject']/@lid"
        ));
    }

    #[test]
    fn positional_predicates_apply_per_parent() {
        assert_eq!(
            s("//*[local-name()='ExtrinsicObject'][1]/@id").as_deref(),
            Some("urn:uuid:1")
        );
        assert_eq!(
            s("//*[local-name()='ExtrinsicObject'][2]/@id").as_deref(),
            Some("urn:uuid:2")
        );
        assert_eq!(s("//*[local-name()='ExtrinsicObject'][3]/@id"), None);
    }

    #[test]
    fn report_paths_from_the_test_plans() {
        assert_eq!(
            s("//*[local-name()='ExtrinsicObject']/*[local-name()='Slot'][@name='repositoryUniqueId']/*[local-name()='ValueList']/*[local-name()='Value']").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(
            s("//*[local-name()='RegistryPackage' and descendant::*[local-name()='ExternalIdentifier'][@identificationScheme='urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a']]/@id").as_deref(),
            Some("urn:uuid:3")
        );
        assert_eq!(
            s("//*[local-name()='AdhocQueryResponse']/*[local-name()='RegistryObjectList']/*[local-name()='RegistryPackage']/*[local-name()='Slot'][@name='lastUpdateTime']/*[local-name()='ValueList']/*[local-name()='Value']").as_deref(),
            Some("20240131120000")
        );
    }

    #[test]
    fn named_steps_and_substring() {
        assert!(b(
            r#"substring(//TestStep[@id="by_uid"]/StoredQueryTransaction/Result/*[local-name()='AdhocQueryResponse']/*[local-name()='RegistryObjectList']/*[local-name()='RegistryPackage']/*[local-name()='Slot'][@name='lastUpdateTime']/*[local-name()='ValueList']/*[local-name()='Value'],1,8)="20240131""#
        ));
        assert!(b(r#"substring("20240131120000",1,8) = "20240131""#));
    }

    #[test]
    fn count_string_and_relational() {
        assert!(b("count(//*[local-name()='ExtrinsicObject']) = 2"));
        assert!(b(
            "count(//*[local-name()='Association'][@id = \"a1\"]) = 1"
        ));
        assert!(b("'20240131120000' < '20240131120005'"));
        assert!(!b("'a' != 'a'"));
        assert!(b(
            r#"string(//*[local-name()='ExtrinsicObject'][1]/*[local-name()='ExternalIdentifier'][@identificationScheme='urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427']/@value) = "P1^^^&1.2&ISO""#
        ));
        assert!(b(
            "//*[local-name()='ExtrinsicObject']//*[local-name()='Name']//*[local-name()='LocalizedString']/@value = 'Physical'"
        ));
        assert!(b("not(//*[local-name()='Nothing'])"));
        assert!(b("1 + 2 * 3 = 7 and 6 div 2 = 3 or false()"));
    }

    #[test]
    fn errors_are_reported_not_guessed() {
        assert!(eval("//rim:Slot", &doc()).is_err());
        assert!(eval("foo(1)", &doc()).is_err());
        assert!(eval("//*[", &doc()).is_err());
    }
}
