//! Reading image files (PNG, JPEG) into luma frames (feature `images`).

use std::io::Cursor;

use super::frame::{MAX_FRAME_PIXELS, MAX_FRAME_SIDE, OwnedLumaFrame};

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("not a PNG or JPEG image")]
    UnknownFormat,
    #[error(
        "the image is {width}x{height}; at most {MAX_FRAME_SIDE} per side and {MAX_FRAME_PIXELS} pixels are accepted"
    )]
    TooLarge { width: u32, height: u32 },
    #[error("the image cannot be decoded: {detail}")]
    Undecodable { detail: String },
}

/// Decodes a PNG or JPEG into its luma plane, refusing images larger than a frame may be
/// before decoding their pixels.
pub fn decode_image(bytes: &[u8]) -> Result<OwnedLumaFrame, ImageError> {
    let format = image::guess_format(bytes).map_err(|_| ImageError::UnknownFormat)?;
    if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
        return Err(ImageError::UnknownFormat);
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_FRAME_SIDE);
    limits.max_image_height = Some(MAX_FRAME_SIDE);
    // Room for the decoded image in its widest layout (16-bit RGBA) at the pixel cap.
    limits.max_alloc = Some(MAX_FRAME_PIXELS * 8);
    reader.limits(limits);
    let (width, height) =
        reader.into_dimensions().map_err(|error| ImageError::Undecodable { detail: error.to_string() })?;
    if u64::from(width) * u64::from(height) > MAX_FRAME_PIXELS || width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE {
        return Err(ImageError::TooLarge { width, height });
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits_for(width, height));
    let image = reader.decode().map_err(|error| ImageError::Undecodable { detail: error.to_string() })?;
    let luma = image.into_luma8();
    let (width, height) = luma.dimensions();
    OwnedLumaFrame::new(luma.into_raw(), width, height)
        .map_err(|error| ImageError::Undecodable { detail: error.to_string() })
}

fn limits_for(width: u32, height: u32) -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width.max(1));
    limits.max_image_height = Some(height.max(1));
    limits.max_alloc = Some((u64::from(width) * u64::from(height) * 8).max(1024));
    limits
}
