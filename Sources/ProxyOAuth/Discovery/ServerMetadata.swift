import Foundation

/// RFC 9728 protected-resource metadata: the fields a client acts on.
package struct ProtectedResourceMetadata: Sendable, Codable, Equatable {
    package var resource: String
    package var authorizationServers: [String]?
    package var scopesSupported: [String]?

    enum CodingKeys: String, CodingKey {
        case resource
        case authorizationServers = "authorization_servers"
        case scopesSupported = "scopes_supported"
    }
}

/// RFC 8414 / OpenID Connect discovery metadata: the fields a client acts on.
package struct AuthorizationServerMetadata: Sendable, Codable, Equatable {
    package var issuer: String
    package var authorizationEndpoint: String?
    package var tokenEndpoint: String
    package var registrationEndpoint: String?
    package var revocationEndpoint: String?
    package var deviceAuthorizationEndpoint: String?
    package var scopesSupported: [String]?
    package var codeChallengeMethodsSupported: [String]?
    package var grantTypesSupported: [String]?
    package var tokenEndpointAuthMethodsSupported: [String]?
    package var clientIDMetadataDocumentSupported: Bool?
    package var authorizationResponseIssParameterSupported: Bool?
    /// The issuer's signing keys (what `client_auth: oauth` verifies access tokens with).
    package var jwksURI: String?

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case registrationEndpoint = "registration_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case deviceAuthorizationEndpoint = "device_authorization_endpoint"
        case scopesSupported = "scopes_supported"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case grantTypesSupported = "grant_types_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case clientIDMetadataDocumentSupported = "client_id_metadata_document_supported"
        case authorizationResponseIssParameterSupported = "authorization_response_iss_parameter_supported"
        case jwksURI = "jwks_uri"
    }
}
