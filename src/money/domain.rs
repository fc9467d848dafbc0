//! The money rules as pure functions: which fee rule applies to a sale (first match wins per
//! fee type), what it charges (basis points rounded down, fixed yen per item, order or
//! parcel; floor and cap), how a parcel fee is shared between the producers in the parcel,
//! what part of a charge a partial return gives back, and the balanced posting a sale becomes.
//! Amounts are integer yen, tax included (DOMAIN-JP §1: prices are 総額表示); the goods' tax is
//! the producer's and stays in its payable.
use chrono::NaiveDate;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Fee types a rule can charge.
pub mod fee_type {
    pub const COMMISSION: &str = "commission";
    pub const PAYMENT_FEE: &str = "payment_fee";
    pub const CHANNEL_FEE: &str = "channel_fee";
    pub const PACKING: &str = "packing";
    pub const COOL_CHAIN: &str = "cool_chain";
    /// Hub fee per lot-day a producer's stock spends in the warehouse (booked at close).
    pub const STORAGE: &str = "storage";
    /// Hub fee per shipment line received (or per unit received).
    pub const INBOUND_HANDLING: &str = "inbound_handling";
    pub const FUND_SHARE: &str = "fund_share";
    /// In the order a sale's charges are computed and shown.
    pub const ALL: [&str; 8] = [
        COMMISSION,
        PAYMENT_FEE,
        CHANNEL_FEE,
        PACKING,
        COOL_CHAIN,
        STORAGE,
        INBOUND_HANDLING,
        FUND_SHARE,
    ];
    /// Charged on the producer's stock, not on a sale (no channel or payment method).
    pub fn hub_stock(t: &str) -> bool {
        [STORAGE, INBOUND_HANDLING].contains(&t)
    }
    /// Charged on each line of the producer's goods.
    pub fn per_line(t: &str) -> bool {
        [COMMISSION, PAYMENT_FEE, CHANNEL_FEE, FUND_SHARE].contains(&t)
    }
}

/// How a rule's amount is reckoned.
pub mod basis {
    pub const PERCENT: &str = "percent";
    pub const PER_ITEM: &str = "per_item";
    pub const PER_ORDER: &str = "per_order";
    pub const PER_PARCEL: &str = "per_parcel";
    /// Fixed yen for each day a lot holds stock.
    pub const PER_LOT_DAY: &str = "per_lot_day";
    /// Fixed yen for each shipment line received.
    pub const PER_LINE: &str = "per_line";
    pub const ALL: [&str; 6] = [
        PERCENT,
        PER_ITEM,
        PER_ORDER,
        PER_PARCEL,
        PER_LOT_DAY,
        PER_LINE,
    ];

    /// The bases a fee type may use.
    pub fn allowed(fee_type: &str) -> &'static [&'static str] {
        use super::fee_type as t;
        match fee_type {
            t::PACKING | t::COOL_CHAIN => &[PER_PARCEL],
            t::STORAGE => &[PER_LOT_DAY],
            t::INBOUND_HANDLING => &[PER_LINE, PER_ITEM],
            t::FUND_SHARE => &[PERCENT, PER_ITEM],
            t::COMMISSION | t::PAYMENT_FEE | t::CHANNEL_FEE => &[PERCENT, PER_ITEM, PER_ORDER],
            _ => &[],
        }
    }
}

/// Who bears a community-fund share.
pub mod bearer {
    /// Out of the aggregator's commission: the producer's payable is untouched.
    pub const AGGREGATOR: &str = "aggregator";
    /// Deducted from the producer's payable and shown on its statement.
    pub const PRODUCER: &str = "producer";
    pub const ALL: [&str; 2] = [AGGREGATOR, PRODUCER];
}

/// Which sales a rule applies to by channel.
pub mod channel_scope {
    pub const ANY: &str = "any";
    pub const SHOP: &str = "shop";
    pub const CHANNEL: &str = "channel";
    pub const ALL: [&str; 3] = [ANY, SHOP, CHANNEL];
}

/// A fee rule as the rules see it (one version).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub id: Uuid,
    pub version: i32,
    pub fee_type: String,
    pub position: i32,
    pub producer_id: Option<Uuid>,
    pub category_code: Option<String>,
    pub channel_scope: String,
    pub channel_id: Option<Uuid>,
    pub payment_method: Option<String>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub basis: String,
    pub rate_bp: Option<i32>,
    pub fixed_yen: Option<i64>,
    pub floor_yen: Option<i64>,
    pub cap_yen: Option<i64>,
    pub fund_id: Option<Uuid>,
    pub bearer: Option<String>,
    pub effective_from: NaiveDate,
    /// Last day it applies (inclusive); open-ended when `None`.
    pub effective_to: Option<NaiveDate>,
}

/// What a rule is matched against: one line of a sale (or, for parcel fees, the parcel with
/// the line's producer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleContext<'a> {
    pub producer_id: Uuid,
    /// The product's category and its ancestors, nearest first.
    pub categories: &'a [String],
    /// `None` for the shop, the channel account otherwise.
    pub channel_id: Option<Uuid>,
    pub payment_method: &'a str,
    pub unit_price: i64,
    pub on: NaiveDate,
}

impl Rule {
    /// Whether this rule applies to `c`.
    pub fn matches(&self, c: &SaleContext<'_>) -> bool {
        let dated = self.effective_from <= c.on && self.effective_to.is_none_or(|to| c.on <= to);
        let producer = self.producer_id.is_none_or(|p| p == c.producer_id);
        let category = self
            .category_code
            .as_ref()
            .is_none_or(|code| c.categories.iter().any(|k| k == code));
        let channel = match self.channel_scope.as_str() {
            channel_scope::SHOP => c.channel_id.is_none(),
            channel_scope::CHANNEL => {
                c.channel_id.is_some()
                    && (self.channel_id.is_none() || self.channel_id == c.channel_id)
            }
            _ => true,
        };
        let method = self
            .payment_method
            .as_deref()
            .is_none_or(|m| m == c.payment_method);
        let band = self.price_min.is_none_or(|m| c.unit_price >= m)
            && self.price_max.is_none_or(|m| c.unit_price <= m);
        dated && producer && category && channel && method && band
    }

    /// The charge on `amount` yen of `qty` items (percent and per-item rules), or the fixed
    /// amount (per-order and per-parcel rules), within the floor and cap.
    pub fn charge(&self, amount: i64, qty: i64) -> i64 {
        let raw = match self.basis.as_str() {
            basis::PERCENT => {
                let bp = i128::from(self.rate_bp.unwrap_or(0));
                i64::try_from(i128::from(amount) * bp / 10_000).unwrap_or(i64::MAX)
            }
            basis::PER_ITEM | basis::PER_LOT_DAY => self.fixed_yen.unwrap_or(0).saturating_mul(qty),
            _ => self.fixed_yen.unwrap_or(0),
        };
        let floored = self.floor_yen.map_or(raw, |f| raw.max(f));
        self.cap_yen.map_or(floored, |c| floored.min(c)).max(0)
    }
}

/// The first rule of `fee_type` (by position) that applies to `c`.
pub fn pick<'r>(rules: &'r [Rule], fee_type: &str, c: &SaleContext<'_>) -> Option<&'r Rule> {
    let mut of_type: Vec<&Rule> = rules.iter().filter(|r| r.fee_type == fee_type).collect();
    of_type.sort_by_key(|r| (r.position, std::cmp::Reverse(r.version)));
    of_type.into_iter().find(|r| r.matches(c))
}

/// `total` shared between `weights` in proportion (each share rounded down, the remainder to
/// the largest weights first, ties by order), so the shares always sum to `total`.
pub fn split(total: i64, weights: &[i64]) -> Vec<i64> {
    crate::core::money::apportion(total, weights)
}

/// The part of `charge` (made on `qty` items) that `returned` more items give back after
/// `before` were returned already: `c(before + returned) − c(before)` with `c(q) = ⌊charge ×
/// q / qty⌋`, so returns in any steps give back exactly the whole charge in the end.
pub fn returned_part(charge: i64, qty: i64, before: i64, returned: i64) -> i64 {
    if qty <= 0 {
        return 0;
    }
    let c = |q: i64| {
        i64::try_from(i128::from(charge) * i128::from(q.clamp(0, qty)) / i128::from(qty))
            .unwrap_or(0)
    };
    c(before + returned) - c(before)
}

/// An account a posting names: its code and the subject it is kept for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountRef {
    pub code: String,
    pub subject: String,
}

impl AccountRef {
    pub fn new(code: impl Into<String>, subject: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            subject: subject.into(),
        }
    }

    /// What a producer is owed (its goods with their tax, less what it is charged).
    pub fn payable(producer: Uuid) -> Self {
        Self::new(account::PRODUCER_PAYABLE, producer.to_string())
    }

    /// The kind of account its code names.
    pub fn kind(&self) -> &'static str {
        account::kind_of(&self.code)
    }
}

/// Account codes.
pub mod account {
    pub const PRODUCER_PAYABLE: &str = "producer_payable";
    pub const PRODUCER_CLAWBACK: &str = "producer_clawback";
    pub const FUND_PAYABLE: &str = "fund_payable";
    pub const REFUNDS_OWED: &str = "refunds_owed";
    pub const TAX_PAYABLE_10: &str = "tax_payable.10";
    pub const SETTLEMENT_CARD: &str = "settlement.card";
    pub const SETTLEMENT_BANK_TRANSFER: &str = "settlement.bank_transfer";
    pub const RECEIVABLE_COD: &str = "receivable.cod";
    pub const RECEIVABLE_CHANNEL: &str = "receivable.channel";
    pub const BANK: &str = "bank";
    /// Payouts approved and sent to the bank, until its result says paid or failed.
    pub const PAYOUTS_IN_TRANSIT: &str = "payouts_in_transit";
    pub const REVENUE_SHIPPING: &str = "revenue.shipping";
    pub const EXPENSE_FUND_SHARE: &str = "expense.fund_share";

    /// The revenue account of a fee type.
    pub fn revenue(fee_type: &str) -> String {
        format!("revenue.{fee_type}")
    }

    /// `asset`, `liability`, `revenue` or `expense`.
    pub fn kind_of(code: &str) -> &'static str {
        if code.starts_with("revenue.") {
            "revenue"
        } else if code.starts_with("expense.") {
            "expense"
        } else if code.starts_with("settlement.")
            || code.starts_with("receivable.")
            || code == BANK
            || code == PRODUCER_CLAWBACK
        {
            "asset"
        } else {
            "liability"
        }
    }
}

/// One line of a posting: an account and its debit or credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub account: AccountRef,
    pub debit: i64,
    pub credit: i64,
    /// The producer the line is about (kept on the entry for statements).
    pub producer_id: Option<Uuid>,
}

/// A set of legs that must balance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Legs(pub Vec<Leg>);

impl Legs {
    /// Debits `account` with `amount` (nothing for 0; a negative amount credits it).
    pub fn debit(&mut self, account: AccountRef, amount: i64, producer: Option<Uuid>) {
        self.push(account, amount, producer);
    }

    /// Credits `account` with `amount` (nothing for 0; a negative amount debits it).
    pub fn credit(&mut self, account: AccountRef, amount: i64, producer: Option<Uuid>) {
        self.push(account, -amount, producer);
    }

    fn push(&mut self, account: AccountRef, signed: i64, producer_id: Option<Uuid>) {
        if signed == 0 {
            return;
        }
        self.0.push(Leg {
            account,
            debit: signed.max(0),
            credit: (-signed).max(0),
            producer_id,
        });
    }

    /// Debits minus credits (0 when balanced).
    pub fn imbalance(&self) -> i64 {
        self.0.iter().map(|l| l.debit - l.credit).sum()
    }

    /// The legs netted per (account, producer): one debit or credit each, none that nets to 0;
    /// in a stable order.
    pub fn netted(&self) -> Vec<Leg> {
        let mut net: BTreeMap<(AccountRef, Option<Uuid>), i64> = BTreeMap::new();
        for l in &self.0 {
            *net.entry((l.account.clone(), l.producer_id)).or_default() += l.debit - l.credit;
        }
        net.into_iter()
            .filter(|(_, v)| *v != 0)
            .map(|((account, producer_id), v)| Leg {
                account,
                debit: v.max(0),
                credit: (-v).max(0),
                producer_id,
            })
            .collect()
    }

    /// What the legs change of each producer's payable (credits minus debits).
    pub fn payable_change(&self) -> BTreeMap<Uuid, i64> {
        let mut out = BTreeMap::new();
        for l in &self.0 {
            if l.account.code == account::PRODUCER_PAYABLE
                && let Ok(p) = Uuid::parse_str(&l.account.subject)
            {
                *out.entry(p).or_default() += l.credit - l.debit;
            }
        }
        out
    }
}

/// One line of goods of a shipped parcel, as the sale books it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldGoods {
    pub order_line_id: Uuid,
    pub producer_id: Uuid,
    pub categories: Vec<String>,
    pub qty: i64,
    pub unit_price: i64,
    /// Yen, tax included.
    pub amount: i64,
}

/// A parcel that left, with what the buyer paid for it besides the goods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippedParcel {
    pub order_id: Uuid,
    pub seq: i32,
    pub chilled: bool,
    /// Shipping, cool, surcharge and cash-on-delivery fees of the parcel (tax included).
    pub service_fees: i64,
    pub goods: Vec<SoldGoods>,
    pub channel_id: Option<Uuid>,
    pub payment_method: String,
    pub on: NaiveDate,
    /// The account the buyer's money comes through (card, transfer, COD carrier, channel).
    pub settlement: AccountRef,
}

/// A fee charged on a sale, with the rule that applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub producer_id: Uuid,
    pub fee_type: String,
    pub subject_key: String,
    pub amount: i64,
    pub rule: Rule,
}

/// The charges of a parcel under `rules`; `per_order_charged` names the (fee type, producer)
/// pairs already charged per order on an earlier parcel of the order.
pub fn charges(
    p: &ShippedParcel,
    rules: &[Rule],
    per_order_charged: &dyn Fn(&str, Uuid) -> bool,
) -> Vec<Charge> {
    let mut out = Vec::new();
    let ctx = |g: &'_ SoldGoods| SaleContext {
        producer_id: g.producer_id,
        categories: &[],
        channel_id: p.channel_id,
        payment_method: &p.payment_method,
        unit_price: g.unit_price,
        on: p.on,
    };
    let mut per_order_seen: Vec<(String, Uuid)> = Vec::new();
    for t in fee_type::ALL
        .iter()
        .copied()
        .filter(|t| fee_type::per_line(t))
    {
        for g in &p.goods {
            let c = SaleContext {
                categories: &g.categories,
                ..ctx(g)
            };
            let Some(rule) = pick(rules, t, &c) else {
                continue;
            };
            if rule.basis == basis::PER_ORDER {
                let key = (t.to_string(), g.producer_id);
                if per_order_seen.contains(&key) || per_order_charged(t, g.producer_id) {
                    continue;
                }
                per_order_seen.push(key);
                out.push(Charge {
                    producer_id: g.producer_id,
                    fee_type: t.into(),
                    subject_key: format!("order:{}:{}", p.order_id, g.producer_id),
                    amount: rule.charge(0, 0),
                    rule: rule.clone(),
                });
                continue;
            }
            out.push(Charge {
                producer_id: g.producer_id,
                fee_type: t.into(),
                subject_key: g.order_line_id.to_string(),
                amount: rule.charge(g.amount, g.qty),
                rule: rule.clone(),
            });
        }
    }
    // Parcel fees: one rule per parcel (matched on its largest producer's goods), shared between
    // its producers by their goods' amount.
    let mut producers: Vec<(Uuid, i64)> = Vec::new();
    for g in &p.goods {
        match producers.iter_mut().find(|(id, _)| *id == g.producer_id) {
            Some((_, a)) => *a += g.amount,
            None => producers.push((g.producer_id, g.amount)),
        }
    }
    let lead = p
        .goods
        .iter()
        .max_by_key(|g| (g.amount, std::cmp::Reverse(g.order_line_id)));
    for t in [fee_type::PACKING, fee_type::COOL_CHAIN] {
        if t == fee_type::COOL_CHAIN && !p.chilled {
            continue;
        }
        let Some(lead) = lead else { break };
        let c = SaleContext {
            categories: &lead.categories,
            ..ctx(lead)
        };
        let Some(rule) = pick(rules, t, &c) else {
            continue;
        };
        let total = rule.charge(0, 0);
        let weights: Vec<i64> = producers.iter().map(|(_, a)| *a).collect();
        for ((pid, _), share) in producers.iter().zip(split(total, &weights)) {
            out.push(Charge {
                producer_id: *pid,
                fee_type: t.into(),
                subject_key: format!("parcel:{}:{}:{pid}", p.order_id, p.seq),
                amount: share,
                rule: rule.clone(),
            });
        }
    }
    out.retain(|c| c.amount > 0);
    out
}

/// The legs of a parcel's sale: the buyer's money in through `settlement`; each producer's
/// goods (with their tax) into its payable; the parcel's service fees to the aggregator's
/// shipping revenue; each charge out of the payable into the aggregator's revenue; a fund
/// share into the fund's payable, out of the producer's payable or the aggregator's expense.
pub fn sale_legs(p: &ShippedParcel, charges: &[Charge]) -> Legs {
    let mut legs = Legs::default();
    let goods: i64 = p.goods.iter().map(|g| g.amount).sum();
    legs.debit(p.settlement.clone(), goods + p.service_fees, None);
    for g in &p.goods {
        legs.credit(
            AccountRef::payable(g.producer_id),
            g.amount,
            Some(g.producer_id),
        );
    }
    legs.credit(
        AccountRef::new(account::REVENUE_SHIPPING, ""),
        p.service_fees,
        None,
    );
    for c in charges {
        charge_legs(&mut legs, c, 1);
    }
    legs
}

/// The legs of `c` (`sign` −1 gives part of it back).
pub fn charge_legs(legs: &mut Legs, c: &Charge, sign: i64) {
    let amount = c.amount * sign;
    let pid = Some(c.producer_id);
    if c.fee_type == fee_type::FUND_SHARE {
        let fund = AccountRef::new(
            account::FUND_PAYABLE,
            c.rule.fund_id.map(|f| f.to_string()).unwrap_or_default(),
        );
        if c.rule.bearer.as_deref() == Some(bearer::PRODUCER) {
            legs.debit(AccountRef::payable(c.producer_id), amount, pid);
        } else {
            legs.debit(
                AccountRef::new(account::EXPENSE_FUND_SHARE, ""),
                amount,
                pid,
            );
        }
        legs.credit(fund, amount, pid);
    } else {
        legs.debit(AccountRef::payable(c.producer_id), amount, pid);
        legs.credit(
            AccountRef::new(account::revenue(&c.fee_type), ""),
            amount,
            pid,
        );
    }
}

/// The clawback legs that keep each producer's payable from going below zero when the
/// posting would take it there: the deficit moves to what the producer owes back.
/// `balances` are the payables before the posting (credits minus debits).
pub fn clawback_legs(legs: &Legs, balances: &BTreeMap<Uuid, i64>) -> Legs {
    let mut out = Legs::default();
    for (p, change) in legs.payable_change() {
        let after = balances.get(&p).copied().unwrap_or(0) + change;
        if after < 0 {
            out.debit(
                AccountRef::new(account::PRODUCER_CLAWBACK, p.to_string()),
                -after,
                Some(p),
            );
            out.credit(AccountRef::payable(p), -after, Some(p));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(fee_type: &str, basis: &str) -> Rule {
        Rule {
            id: Uuid::nil(),
            version: 1,
            fee_type: fee_type.into(),
            position: 0,
            producer_id: None,
            category_code: None,
            channel_scope: channel_scope::ANY.into(),
            channel_id: None,
            payment_method: None,
            price_min: None,
            price_max: None,
            basis: basis.into(),
            rate_bp: None,
            fixed_yen: None,
            floor_yen: None,
            cap_yen: None,
            fund_id: None,
            bearer: None,
            effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            effective_to: None,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default()
    }

    #[test]
    fn percent_rounds_down_within_floor_and_cap() {
        let mut r = rule(fee_type::COMMISSION, basis::PERCENT);
        r.rate_bp = Some(1_550);
        assert_eq!(r.charge(1_999, 1), 309);
        r.floor_yen = Some(400);
        assert_eq!(r.charge(1_999, 1), 400);
        r.cap_yen = Some(350);
        assert_eq!(r.charge(1_999, 1), 350);
    }

    #[test]
    fn first_matching_rule_by_position_wins_and_dates_bound_it() {
        let p = Uuid::from_u128(7);
        let mut specific = rule(fee_type::COMMISSION, basis::PERCENT);
        specific.producer_id = Some(p);
        specific.rate_bp = Some(1_000);
        specific.effective_to = Some(day(10));
        let mut general = rule(fee_type::COMMISSION, basis::PERCENT);
        general.position = 1;
        general.rate_bp = Some(2_000);
        let rules = vec![general.clone(), specific.clone()];
        let ctx = |on| SaleContext {
            producer_id: p,
            categories: &[],
            channel_id: None,
            payment_method: "card",
            unit_price: 1_000,
            on,
        };
        assert_eq!(
            pick(&rules, fee_type::COMMISSION, &ctx(day(10))),
            Some(&specific)
        );
        assert_eq!(
            pick(&rules, fee_type::COMMISSION, &ctx(day(11))),
            Some(&general)
        );
        let other = SaleContext {
            producer_id: Uuid::from_u128(8),
            ..ctx(day(5))
        };
        assert_eq!(pick(&rules, fee_type::COMMISSION, &other), Some(&general));
    }

    #[test]
    fn channel_category_method_and_band_scope_a_rule() {
        let mut r = rule(fee_type::PAYMENT_FEE, basis::PERCENT);
        r.channel_scope = channel_scope::SHOP.into();
        r.payment_method = Some("card".into());
        r.category_code = Some("fruit".into());
        r.price_min = Some(500);
        let cats = ["mango".to_string(), "fruit".to_string()];
        let c = SaleContext {
            producer_id: Uuid::nil(),
            categories: &cats,
            channel_id: None,
            payment_method: "card",
            unit_price: 500,
            on: day(1),
        };
        assert!(r.matches(&c));
        assert!(!r.matches(&SaleContext {
            unit_price: 499,
            ..c.clone()
        }));
        assert!(!r.matches(&SaleContext {
            payment_method: "bank_transfer",
            ..c.clone()
        }));
        assert!(!r.matches(&SaleContext {
            channel_id: Some(Uuid::nil()),
            ..c.clone()
        }));
        assert!(!r.matches(&SaleContext {
            categories: &[],
            ..c
        }));
    }

    #[test]
    fn split_sums_to_the_total_and_follows_the_weights() {
        assert_eq!(split(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(split(5, &[300, 100]), vec![4, 1]);
        assert_eq!(split(7, &[0, 0]), vec![7, 0]);
        assert_eq!(split(0, &[5]), vec![0]);
    }

    #[test]
    fn returns_in_steps_give_back_the_whole_charge() {
        let (charge, qty) = (101, 3);
        let parts: Vec<i64> = [(0, 1), (1, 1), (2, 1)]
            .iter()
            .map(|(b, r)| returned_part(charge, qty, *b, *r))
            .collect();
        assert_eq!(parts.iter().sum::<i64>(), charge);
        assert_eq!(parts, vec![33, 34, 34]);
    }

    #[test]
    fn a_sale_balances_and_the_goods_tax_stays_with_the_producer() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let fund = Uuid::from_u128(9);
        let mut commission = rule(fee_type::COMMISSION, basis::PERCENT);
        commission.rate_bp = Some(2_000);
        let mut packing = rule(fee_type::PACKING, basis::PER_PARCEL);
        packing.fixed_yen = Some(101);
        let mut share = rule(fee_type::FUND_SHARE, basis::PER_ITEM);
        share.fixed_yen = Some(10);
        share.fund_id = Some(fund);
        share.bearer = Some(bearer::AGGREGATOR.into());
        let p = ShippedParcel {
            order_id: Uuid::from_u128(3),
            seq: 1,
            chilled: false,
            service_fees: 1_100,
            goods: vec![
                SoldGoods {
                    order_line_id: Uuid::from_u128(11),
                    producer_id: a,
                    categories: vec![],
                    qty: 2,
                    unit_price: 1_080,
                    amount: 2_160,
                },
                SoldGoods {
                    order_line_id: Uuid::from_u128(12),
                    producer_id: b,
                    categories: vec![],
                    qty: 1,
                    unit_price: 540,
                    amount: 540,
                },
            ],
            channel_id: None,
            payment_method: "card".into(),
            on: day(1),
            settlement: AccountRef::new(account::SETTLEMENT_CARD, ""),
        };
        let cs = charges(&p, &[commission, packing, share], &|_, _| false);
        let legs = sale_legs(&p, &cs);
        assert_eq!(legs.imbalance(), 0);
        let change = legs.payable_change();
        // 2,160 − 432 commission − 81 packing; the fund share is the aggregator's.
        assert_eq!(change[&a], 2_160 - 432 - 81);
        assert_eq!(change[&b], 540 - 108 - 20);
        assert!(
            legs.0
                .iter()
                .all(|l| !l.account.code.starts_with("tax_payable"))
        );
    }

    #[test]
    fn a_payable_below_zero_moves_to_a_clawback() {
        let a = Uuid::from_u128(1);
        let mut legs = Legs::default();
        legs.debit(AccountRef::payable(a), 300, Some(a));
        legs.credit(AccountRef::new("revenue.commission", ""), 300, Some(a));
        let before = BTreeMap::from([(a, 100)]);
        let claw = clawback_legs(&legs, &before);
        assert_eq!(claw.imbalance(), 0);
        assert_eq!(claw.payable_change()[&a], 200);
        assert!(
            clawback_legs(&legs, &BTreeMap::from([(a, 300)]))
                .0
                .is_empty()
        );
    }
}
