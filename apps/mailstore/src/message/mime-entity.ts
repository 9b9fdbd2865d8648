export { mimeEntity, multipartParts, type MimeEntity } from '@postern/mime';
