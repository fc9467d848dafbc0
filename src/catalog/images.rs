//! Photo processing: the format is decided by the bytes (never the file name), the pixel count
//! is checked from the header before decoding (decompression bombs), the image is turned
//! upright from its EXIF orientation, resized to a bounded size and re-encoded, which drops
//! every metadata block (EXIF GPS can reveal a home).
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, imageops::FilterType};
use std::io::Cursor;

/// Why a photo was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRejection {
    #[error("not a JPEG, PNG or WebP image")]
    UnsupportedType,
    #[error("the image is {pixels} pixels; at most {max} are accepted")]
    TooManyPixels { pixels: u64, max: u64 },
    #[error("the image could not be read: it may be damaged")]
    Corrupt,
}

/// A processed photo ready to store.
#[derive(Debug, Clone)]
pub struct Processed {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Checks and re-encodes an uploaded photo.
///
/// # Errors
/// The rejection, for the user.
pub fn process(
    input: &[u8],
    max_pixels: u64,
    max_dimension: u32,
) -> Result<Processed, ImageRejection> {
    let reader = ImageReader::new(Cursor::new(input))
        .with_guessed_format()
        .map_err(|_| ImageRejection::Corrupt)?;
    let format = match reader.format() {
        Some(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => f,
        _ => return Err(ImageRejection::UnsupportedType),
    };
    // Header only: no pixel is decoded before the size is known to be acceptable.
    let (w, h) = ImageReader::with_format(Cursor::new(input), format)
        .into_dimensions()
        .map_err(|_| ImageRejection::Corrupt)?;
    let pixels = u64::from(w) * u64::from(h);
    if pixels > max_pixels {
        return Err(ImageRejection::TooManyPixels {
            pixels,
            max: max_pixels,
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(input), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(8).max(16 * 1024 * 1024));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| ImageRejection::Corrupt)?;
    // The decoded buffer is pixels × bytes per pixel (16-bit RGBA is 8): budget that, not pixels.
    let bytes = pixels.saturating_mul(u64::from(decoder.color_type().bytes_per_pixel()));
    if bytes > max_pixels.saturating_mul(4) {
        return Err(ImageRejection::TooManyPixels {
            pixels,
            max: max_pixels,
        });
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| ImageRejection::Corrupt)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    if img.width() > max_dimension || img.height() > max_dimension {
        img = img.resize(max_dimension, max_dimension, FilterType::Lanczos3);
    }
    let (width, height) = (img.width(), img.height());
    let mut out = Cursor::new(Vec::new());
    let (content_type, extension) = if format == ImageFormat::Png {
        img.write_to(&mut out, ImageFormat::Png)
            .map_err(|_| ImageRejection::Corrupt)?;
        ("image/png", "png")
    } else {
        // JPEG and WebP photos are stored as JPEG (quality 85): small, and readable everywhere.
        let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
        rgb.write_with_encoder(encoder)
            .map_err(|_| ImageRejection::Corrupt)?;
        ("image/jpeg", "jpg")
    };
    Ok(Processed {
        bytes: out.into_inner(),
        content_type,
        extension,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb};

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(ImageBuffer::from_pixel(w, h, Rgb([200u8, 80, 120])));
        let mut out = Cursor::new(Vec::new());
        let _ = img.write_to(&mut out, ImageFormat::Jpeg);
        out.into_inner()
    }

    /// Inserts an APP1 EXIF block (a valid empty TIFF IFD followed by a marker string).
    pub fn with_exif(jpeg: &[u8], marker: &str) -> Vec<u8> {
        let mut payload = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
        payload.extend_from_slice(marker.as_bytes());
        let len = (payload.len() + 2) as u16;
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn metadata_is_stripped_and_large_images_are_resized() {
        let input = with_exif(&jpeg(3000, 2000), "GPS-26.3344N-127.8056E");
        assert!(input.windows(4).any(|w| w == b"Exif"));
        let p = process(&input, 40_000_000, 1600).ok();
        let p = p.as_ref();
        assert_eq!(p.map(|p| (p.width, p.height)), Some((1600, 1067)));
        assert_eq!(p.map(|p| p.content_type), Some("image/jpeg"));
        let bytes = p.map(|p| p.bytes.clone()).unwrap_or_default();
        assert!(!bytes.windows(4).any(|w| w == b"Exif"), "EXIF removed");
        assert!(!bytes.windows(3).any(|w| w == b"GPS"), "no GPS text left");
    }

    #[test]
    fn the_type_comes_from_the_content() {
        assert_eq!(
            process(b"just some text named photo.jpg", 1_000_000, 100).err(),
            Some(ImageRejection::UnsupportedType)
        );
        assert_eq!(
            process(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", 1_000_000, 100).err(),
            Some(ImageRejection::UnsupportedType)
        );
        let mut truncated = jpeg(50, 50);
        truncated.truncate(40);
        assert!(process(&truncated, 1_000_000, 100).is_err());
    }

    #[test]
    fn pixel_bombs_are_refused_before_decoding() {
        let r = process(&jpeg(2000, 1000), 1_000_000, 1600);
        assert_eq!(
            r.err(),
            Some(ImageRejection::TooManyPixels {
                pixels: 2_000_000,
                max: 1_000_000
            })
        );
    }
}
