//! The deserializer itself: toml's spanned tree, read past mistakes.

use std::ops::Range;

use serde::de::value::{StrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::report::{Error, from_toml, push, settle};

/// One value of the tree, with its span.
pub(super) struct Value<'i>(Spanned<DeValue<'i>>);

impl<'i> Value<'i> {
    pub(super) fn new(value: Spanned<DeValue<'i>>) -> Self {
        Value(value)
    }

    fn span(&self) -> Range<usize> {
        self.0.span()
    }

    /// toml's own deserializer, for scalars (nothing inside to read past).
    fn toml<V, F>(self, visit: F) -> Result<V, Error>
    where
        F: FnOnce(ValueDeserializer<'i>) -> Result<V, toml::de::Error>,
    {
        let span = self.span();
        visit(ValueDeserializer::from(self.0)).map_err(|e| from_toml(e, span))
    }

    fn unexpected(&self) -> Unexpected<'_> {
        match self.0.get_ref() {
            DeValue::String(s) => Unexpected::Str(s),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map_or(Unexpected::Other("integer"), Unexpected::Signed),
            DeValue::Float(f) => f
                .as_str()
                .parse()
                .map_or(Unexpected::Other("float"), Unexpected::Float),
            DeValue::Boolean(b) => Unexpected::Bool(*b),
            DeValue::Datetime(_) => Unexpected::Other("datetime"),
            DeValue::Array(_) => Unexpected::Seq,
            DeValue::Table(_) => Unexpected::Map,
        }
    }

    /// Records that the value is not of the type asked for.
    fn mismatch(&self, expected: &dyn de::Expected) {
        let e = <Error as de::Error>::invalid_type(self.unexpected(), expected);
        push(self.span(), e.message, None);
    }

    fn integer(&self) -> Option<i128> {
        match self.0.get_ref() {
            DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        }
    }

    fn table(self, fields: Option<&'static [&'static str]>) -> Table<'i> {
        match self.0.into_inner() {
            DeValue::Table(t) => Table::new(t, fields),
            _ => Table::new(DeTable::default(), None),
        }
    }
}

/// Integers: a value out of the type's range is recorded, and 0 read on.
macro_rules! integer {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.integer() {
                Some(n) if <$ty>::try_from(n).is_ok() => match u64::try_from(n) {
                    Ok(n) => visitor.visit_u64(n),
                    Err(_) => visitor.visit_i64(n as i64),
                },
                Some(n) => {
                    let n = i64::try_from(n).map_or(Unexpected::Other("integer"), Unexpected::Signed);
                    let e = <Error as de::Error>::invalid_value(n, &visitor);
                    push(self.span(), e.message, None);
                    visitor.visit_u64(0)
                }
                None => {
                    self.mismatch(&visitor);
                    visitor.visit_u64(0)
                }
            }
        }
    )*};
}

/// Scalars of one toml type; another type is recorded and a placeholder read on.
macro_rules! scalar {
    ($($method:ident: $accepts:pat => $placeholder:ident($value:expr)),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            if matches!(self.0.get_ref(), $accepts) {
                self.toml(|d| d.$method(visitor))
            } else {
                self.mismatch(&visitor);
                visitor.$placeholder($value)
            }
        }
    )*};
}

/// What has no children and no sensible placeholder goes to toml as is.
macro_rules! delegate {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.toml(|d| d.$method(visitor))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0.get_ref() {
            DeValue::Array(_) => self.deserialize_seq(visitor),
            DeValue::Table(_) => visitor.visit_map(self.table(None)),
            _ => self.toml(|d| d.deserialize_any(visitor)),
        }
    }

    integer!(deserialize_u8: u8, deserialize_u16: u16, deserialize_u32: u32, deserialize_u64: u64,
        deserialize_i8: i8, deserialize_i16: i16, deserialize_i32: i32, deserialize_i64: i64);

    scalar!(
        deserialize_bool: DeValue::Boolean(_) => visit_bool(false),
        deserialize_f32: DeValue::Float(_) | DeValue::Integer(_) => visit_f64(0.0),
        deserialize_f64: DeValue::Float(_) | DeValue::Integer(_) => visit_f64(0.0),
        deserialize_str: DeValue::String(_) => visit_str(""),
        deserialize_string: DeValue::String(_) => visit_str("")
    );

    delegate!(
        deserialize_char,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier,
        deserialize_ignored_any,
        deserialize_i128,
        deserialize_u128
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.toml(|d| d.deserialize_unit_struct(name, visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let items = match self.0.get_ref() {
            DeValue::Array(items) => items.to_vec(),
            _ => {
                self.mismatch(&visitor);
                Vec::new()
            }
        };
        visitor.visit_seq(Items(items.into_iter()))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        self.toml(|d| d.deserialize_tuple(len, visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.toml(|d| d.deserialize_tuple_struct(name, len, visitor))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if !self.0.get_ref().is_table() {
            self.mismatch(&visitor);
        }
        visitor.visit_map(self.table(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if serde_spanned::de::is_spanned(name) {
            let span = self.span();
            return visitor.visit_map(serde_spanned::de::SpannedDeserializer::new(self, span));
        }
        match self.0.get_ref() {
            DeValue::Table(_) => visitor.visit_map(self.table(Some(fields))),
            DeValue::Datetime(_) => self.toml(|d| d.deserialize_struct(name, fields, visitor)),
            _ => {
                self.mismatch(&visitor);
                visitor.visit_map(self.table(None))
            }
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match (self.0.get_ref(), variants.first()) {
            (DeValue::String(s), Some(first)) if !variants.contains(&s.as_ref()) => {
                let e = <Error as de::Error>::unknown_variant(s, variants);
                push(self.span(), e.message, None);
                visitor.visit_enum(StrDeserializer::<Error>::new(first))
            }
            _ => self.toml(|d| d.deserialize_enum(name, variants, visitor)),
        }
    }
}

impl<'de> IntoDeserializer<'de, Error> for Value<'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

/// The elements of an array, each read on its own.
struct Items<'i>(std::vec::IntoIter<Spanned<DeValue<'i>>>);

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.0.next() else {
            return Ok(None);
        };
        let span = item.span();
        settle(seed.deserialize(Value(item)), span).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The entries of a table; with `fields`, an unknown key is recorded and skipped.
struct Table<'i> {
    entries: <DeTable<'i> as IntoIterator>::IntoIter,
    fields: Option<&'static [&'static str]>,
    value: Option<Spanned<DeValue<'i>>>,
}

impl<'i> Table<'i> {
    fn new(table: DeTable<'i>, fields: Option<&'static [&'static str]>) -> Self {
        Table {
            entries: table.into_iter(),
            fields,
            value: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for Table<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        for (key, value) in self.entries.by_ref() {
            let name: &str = key.get_ref();
            if let Some(fields) = self.fields
                && !fields.contains(&name)
            {
                let e = <Error as de::Error>::unknown_field(name, fields);
                push(key.span(), e.message, None);
                continue;
            }
            self.value = Some(value);
            let key: StringDeserializer<Error> = name.to_string().into_deserializer();
            return seed.deserialize(key).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("a value read before its key"))?;
        let span = value.span();
        settle(seed.deserialize(Value(value)), span)
    }
}
