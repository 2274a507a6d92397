export { type AddressVerdict, classifyAddress } from './address-policy.ts'
export {
  acceptedFetchMimeTypes,
  defaultFetchMaxBytes,
  defaultFetchUserAgent,
  describeSize,
  type FetchedUrl,
  type FetchUrlOptions,
  fetchUrl,
  fileNameFromContentDisposition,
  type HostLookup,
  parseContentType,
  type ResolvedAddress,
} from './fetch-url.ts'
export {
  type MappedElements,
  mapUnstructuredElements,
  type UnstructuredElement,
} from './unstructured-elements.ts'
export {
  type CreateUnstructuredParserOptions,
  createUnstructuredParser,
  type UnstructuredStrategy,
  unstructuredMimeTypes,
} from './unstructured-parser.ts'
