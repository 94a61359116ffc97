//! Camera frames as the platforms deliver them: a luma (Y) plane with a row stride.

use std::borrow::Cow;

/// Frames larger than this are refused: 16 megapixels is beyond any phone preview stream,
/// and bounds the memory and time one frame may cost.
pub const MAX_FRAME_PIXELS: u64 = 16 * 1024 * 1024;
/// The longest side accepted.
pub const MAX_FRAME_SIDE: u32 = 16_384;

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame is {width}x{height}; both sides must be at least 1")]
    Empty { width: u32, height: u32 },
    #[error("frame is {width}x{height}; at most {MAX_FRAME_SIDE} per side and {MAX_FRAME_PIXELS} pixels are accepted")]
    TooLarge { width: u32, height: u32 },
    #[error("row stride {row_stride} is smaller than the width {width}")]
    StrideTooSmall { row_stride: u32, width: u32 },
    /// Android's ImageProxy only guarantees `row_stride * (height - 1) + width` bytes: the
    /// last row need not be padded, so exactly that is the minimum.
    #[error(
        "the buffer holds {length} bytes; a {width}x{height} frame with row stride {row_stride} needs at least {needed}"
    )]
    BufferTooShort { length: usize, needed: u64, width: u32, height: u32, row_stride: u32 },
}

/// A borrowed 8-bit luma plane.
#[derive(Debug, Clone, Copy)]
pub struct LumaFrame<'a> {
    data: &'a [u8],
    width: u32,
    height: u32,
    row_stride: u32,
}

impl<'a> LumaFrame<'a> {
    /// A frame over `data`; `data` may end right after the last row's `width` pixels.
    pub fn new(data: &'a [u8], width: u32, height: u32, row_stride: u32) -> Result<Self, FrameError> {
        if width == 0 || height == 0 {
            return Err(FrameError::Empty { width, height });
        }
        if width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE || u64::from(width) * u64::from(height) > MAX_FRAME_PIXELS
        {
            return Err(FrameError::TooLarge { width, height });
        }
        if row_stride < width {
            return Err(FrameError::StrideTooSmall { row_stride, width });
        }
        let needed = u64::from(row_stride) * u64::from(height - 1) + u64::from(width);
        if (data.len() as u64) < needed {
            return Err(FrameError::BufferTooShort { length: data.len(), needed, width, height, row_stride });
        }
        Ok(Self { data, width, height, row_stride })
    }

    /// A tightly packed frame (row stride = width).
    pub fn packed(data: &'a [u8], width: u32, height: u32) -> Result<Self, FrameError> {
        Self::new(data, width, height, width)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Row `y` (exactly `width` bytes), or an empty slice outside the frame.
    pub fn row(&self, y: u32) -> &'a [u8] {
        let start = y as usize * self.row_stride as usize;
        self.data.get(start..start + self.width as usize).unwrap_or_default()
    }

    /// The pixels without row padding: borrowed when already packed.
    pub fn packed_pixels(&self) -> Cow<'a, [u8]> {
        let size = self.width as usize * self.height as usize;
        if self.row_stride == self.width
            && let Some(pixels) = self.data.get(..size)
        {
            return Cow::Borrowed(pixels);
        }
        let mut pixels = Vec::with_capacity(size);
        for y in 0..self.height {
            pixels.extend_from_slice(self.row(y));
        }
        Cow::Owned(pixels)
    }

    /// A packed copy.
    pub fn to_owned_frame(&self) -> OwnedLumaFrame {
        OwnedLumaFrame { pixels: self.packed_pixels().into_owned(), width: self.width, height: self.height }
    }
}

/// An owned, tightly packed luma plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedLumaFrame {
    pixels: Vec<u8>,
    width: u32,
    height: u32,
}

impl OwnedLumaFrame {
    /// A packed frame (`pixels` is `width * height` bytes).
    pub fn new(pixels: Vec<u8>, width: u32, height: u32) -> Result<Self, FrameError> {
        LumaFrame::packed(&pixels, width, height)?;
        Ok(Self { pixels, width, height })
    }

    /// A frame computed from a valid frame, with the same or smaller dimensions.
    pub(crate) fn derived(pixels: Vec<u8>, width: u32, height: u32) -> Self {
        debug_assert_eq!(pixels.len(), width as usize * height as usize);
        Self { pixels, width, height }
    }

    /// A borrowed view.
    pub fn view(&self) -> LumaFrame<'_> {
        LumaFrame { data: &self.pixels, width: self.width, height: self.height, row_stride: self.width }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }
    /// The packed pixels.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }
    /// The packed pixels, moved out.
    pub fn into_pixels(self) -> Vec<u8> {
        self.pixels
    }
}

/// The Y plane of a packed YUYV (YUY2) frame: every other byte, no colour conversion.
pub fn luma_from_yuyv(data: &[u8], width: u32, height: u32) -> Result<OwnedLumaFrame, FrameError> {
    let needed = u64::from(width) * u64::from(height) * 2;
    if (data.len() as u64) < needed {
        return Err(FrameError::BufferTooShort { length: data.len(), needed, width, height, row_stride: width * 2 });
    }
    let pixels: Vec<u8> = data.iter().step_by(2).take(width as usize * height as usize).copied().collect();
    OwnedLumaFrame::new(pixels, width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_androids_unpadded_last_row_and_nothing_shorter() {
        let (width, height, stride) = (5u32, 3u32, 8u32);
        let minimum = (stride * (height - 1) + width) as usize;
        let data = vec![7u8; minimum];
        let frame = LumaFrame::new(&data, width, height, stride).unwrap();
        assert_eq!(frame.row(2), &[7, 7, 7, 7, 7]);
        assert_eq!(frame.packed_pixels().len(), 15);
        assert_eq!(
            LumaFrame::new(&data[..minimum - 1], width, height, stride).unwrap_err(),
            FrameError::BufferTooShort {
                length: minimum - 1,
                needed: minimum as u64,
                width,
                height,
                row_stride: stride
            }
        );
        assert!(matches!(LumaFrame::new(&data, 9, 1, 8), Err(FrameError::StrideTooSmall { .. })));
        assert!(matches!(LumaFrame::new(&data, 0, 1, 8), Err(FrameError::Empty { .. })));
        assert!(matches!(LumaFrame::new(&data, 20_000, 1, 20_000), Err(FrameError::TooLarge { .. })));
    }

    #[test]
    fn packs_strided_rows() {
        let data = [1, 2, 0, 0, 3, 4, 0, 0, 5, 6];
        let frame = LumaFrame::new(&data, 2, 3, 4).unwrap();
        assert_eq!(frame.packed_pixels().as_ref(), &[1, 2, 3, 4, 5, 6]);
        assert_eq!(luma_from_yuyv(&[10, 128, 20, 128, 30, 128, 40, 128], 2, 2).unwrap().pixels(), &[10, 20, 30, 40]);
    }
}
