//! The camera frame source (Linux V4L2 through nokhwa), behind the `camera` feature.
//!
//! Frames are taken in their raw format and reduced to the luma plane directly: YUYV keeps
//! every other byte, NV12 its first plane, GRAY as is, MJPEG is decoded straight to luma. No
//! RGB round trip, which nokhwa's own conversions would make.

use healthpass_core::checkpoint::FrameSource;

use crate::error::CliError;

#[cfg(not(feature = "camera"))]
pub fn open(_index: u32) -> Result<Box<dyn FrameSource>, CliError> {
    Err(CliError::Usage(
        "this build has no camera support; rebuild with `cargo build -p healthpass-cli --features camera`".into(),
    ))
}

#[cfg(feature = "camera")]
pub fn open(index: u32) -> Result<Box<dyn FrameSource>, CliError> {
    device::CameraSource::open(index)
        .map(|source| Box::new(source) as Box<dyn FrameSource>)
        .map_err(|error| CliError::Usage(error.to_string()))
}

#[cfg(feature = "camera")]
mod device {
    use std::time::Instant;

    use healthpass_core::checkpoint::{CapturedFrame, FrameSource, FrameSourceError};
    use healthpass_core::scan::{OwnedLumaFrame, luma_from_yuyv};
    use nokhwa::Camera;
    use nokhwa::utils::{ApiBackend, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType};

    pub struct CameraSource {
        camera: Camera,
        started: Instant,
    }

    impl CameraSource {
        pub fn open(index: u32) -> Result<Self, FrameSourceError> {
            let devices = nokhwa::query(ApiBackend::Auto)
                .map_err(|error| FrameSourceError::NoCamera { detail: error.to_string() })?;
            if devices.is_empty() {
                return Err(FrameSourceError::NoCamera {
                    detail: "no video capture device found (V4L2, /dev/video*)".into(),
                });
            }
            let requested =
                RequestedFormat::new::<nokhwa::pixel_format::LumaFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
            let mut camera = Camera::new(CameraIndex::Index(index), requested)
                .map_err(|error| FrameSourceError::NoCamera { detail: format!("camera {index}: {error}") })?;
            camera.open_stream().map_err(|error| FrameSourceError::Device { detail: error.to_string() })?;
            Ok(Self { camera, started: Instant::now() })
        }
    }

    impl FrameSource for CameraSource {
        fn next_frame(&mut self) -> Result<Option<CapturedFrame>, FrameSourceError> {
            let buffer = self.camera.frame().map_err(|error| FrameSourceError::Device { detail: error.to_string() })?;
            let captured_at_ms = self.started.elapsed().as_millis() as u64;
            let resolution = buffer.resolution();
            let (width, height) = (resolution.width(), resolution.height());
            let data = buffer.buffer();
            let invalid =
                |error: healthpass_core::scan::FrameError| FrameSourceError::Device { detail: error.to_string() };
            let frame = match buffer.source_frame_format() {
                FrameFormat::YUYV => luma_from_yuyv(data, width, height).map_err(invalid)?,
                FrameFormat::NV12 | FrameFormat::GRAY => {
                    let size = width as usize * height as usize;
                    let plane = data.get(..size).ok_or(FrameSourceError::Device { detail: "short frame".into() })?;
                    OwnedLumaFrame::new(plane.to_vec(), width, height).map_err(invalid)?
                }
                FrameFormat::MJPEG => mjpeg_luma(data)?,
                other => return Err(FrameSourceError::UnsupportedFormat { format: format!("{other:?}") }),
            };
            Ok(Some(CapturedFrame { frame, captured_at_ms }))
        }
    }

    /// Decodes an MJPEG frame straight to its Y channel (zune-jpeg skips colour conversion).
    fn mjpeg_luma(data: &[u8]) -> Result<OwnedLumaFrame, FrameSourceError> {
        use zune_jpeg::zune_core::colorspace::ColorSpace;
        use zune_jpeg::zune_core::options::DecoderOptions;
        let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::Luma);
        let mut decoder = zune_jpeg::JpegDecoder::new_with_options(data, options);
        let pixels =
            decoder.decode().map_err(|error| FrameSourceError::Device { detail: format!("MJPEG: {error:?}") })?;
        let (width, height) =
            decoder.dimensions().ok_or(FrameSourceError::Device { detail: "MJPEG without dimensions".into() })?;
        OwnedLumaFrame::new(pixels, width as u32, height as u32)
            .map_err(|error| FrameSourceError::Device { detail: error.to_string() })
    }
}
