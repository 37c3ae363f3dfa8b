//! The canonical writer's arrays and objects: an array written element by
//! element, an object's entries buffered, sorted and written at its end.

use std::borrow::Cow;

use serde::ser::{self, Serialize};

use super::{Array, CanonError, Object, Writer, key_text, settle, write_entries};

impl Array<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), CanonError> {
        if !std::mem::replace(&mut self.first, false) {
            self.out.push(b',');
        }
        v.serialize(Writer {
            out: &mut *self.out,
            keep: None,
        })
    }
    fn finish(self) -> Result<(), CanonError> {
        self.out.push(b']');
        if self.close {
            self.out.push(b'}');
        }
        Ok(())
    }
}

macro_rules! array_impl {
    ($($tr:ident: $f:ident),*) => {
        $(impl ser::$tr for Array<'_> {
            type Ok = ();
            type Error = CanonError;
            fn $f<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), CanonError> {
                self.element(v)
            }
            fn end(self) -> Result<(), CanonError> {
                self.finish()
            }
        })*
    };
}
array_impl!(SerializeSeq: serialize_element, SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field, SerializeTupleVariant: serialize_field);

impl Object<'_> {
    fn value<T: Serialize + ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        v: &T,
    ) -> Result<(), CanonError> {
        let mut bytes = Vec::new();
        v.serialize(Writer {
            out: &mut bytes,
            keep: None,
        })?;
        self.entries.push((key, bytes));
        Ok(())
    }
    fn finish(mut self) -> Result<(), CanonError> {
        settle(&mut self.entries);
        if let Some(keep) = self.keep {
            *keep = Some(self.entries);
            return Ok(());
        }
        write_entries(&self.entries, self.out);
        if self.close {
            self.out.push(b'}');
        }
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = CanonError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), CanonError> {
        self.key = Some(Cow::Owned(key_text(k)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), CanonError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| CanonError("a map value without its key".into()))?;
        self.value(key, v)
    }
    fn end(self) -> Result<(), CanonError> {
        self.finish()
    }
}

/// A struct's fields and a struct variant's are entries alike.
macro_rules! struct_impl {
    ($($tr:ident),*) => {
        $(impl ser::$tr for Object<'_> {
            type Ok = ();
            type Error = CanonError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                k: &'static str,
                v: &T,
            ) -> Result<(), CanonError> {
                self.value(Cow::Borrowed(k), v)
            }
            fn end(self) -> Result<(), CanonError> {
                self.finish()
            }
        })*
    };
}
struct_impl!(SerializeStruct, SerializeStructVariant);
