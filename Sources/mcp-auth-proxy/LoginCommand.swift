import ArgumentParser
import Foundation
import NIOPosix
import ProxyConfig
import ProxyOAuth

/// `login`: signs in to an OAuth profile's authorization server once; the proxy and every bridge
/// then use and refresh the token from the profile's token file.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Sign in to an `auth_scheme: oauth` profile's upstream (authorization code with PKCE).")

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "Print the authorization URL instead of opening a browser.")
    var noBrowser = false

    @Flag(name: .long, help: "Sign in on another device with a user code (RFC 8628), where the server offers it.")
    var device = false

    @Option(name: .long, help: "Extra scopes to ask for, space-separated (e.g. after a 403 insufficient_scope).")
    var scope: String?

    @Option(name: .long, help: "Seconds to wait for the browser to come back.")
    var timeout: Int = 300

    func run() async throws {
        let profile = try OAuthProfileSelection.select(options)
        guard let settings = profile.oauth else {
            throw CLIError("profile `\(profile.name)` uses auth_scheme \(profile.authScheme.rawValue); login is for `auth_scheme: oauth`")
        }
        guard settings.grant == .authorizationCode else {
            throw CLIError(settings.grant == .tokenExchange
                ? "profile `\(profile.name)` uses token_exchange: it needs no login, each client's own token is exchanged"
                : "profile `\(profile.name)` uses client_credentials: it needs no login, the proxy gets its token at start")
        }
        let group = MultiThreadedEventLoopGroup.singleton
        if device {
            var login = DeviceLogin(profile: profile, settings: settings, group: group)
            login.extraScopes = scope.map { $0.split(separator: " ").map(String.init) } ?? []
            do {
                let token = try await login.run { shown in
                    let complete = shown.verificationURIComplete.map { "\n\nor open this URL, which carries the code:\n\n  \($0)" } ?? ""
                    FileHandle.standardError.write(Data("To sign in to \(profile.name), open\n\n  \(shown.verificationURI)\n\nand enter the code\n\n  \(shown.userCode)\(complete)\n\nWaiting (the code lasts \(shown.expiresIn / 60) min)…\n".utf8))
                }
                print(Self.signedIn(profile: profile.name, token: token, file: settings.tokenFile))
            } catch {
                throw CLIError("login failed: \(error)")
            }
            return
        }
        var flow = LoginFlow(profile: profile, settings: settings, group: group)
        flow.extraScopes = scope.map { $0.split(separator: " ").map(String.init) } ?? []
        flow.timeout = .seconds(Int64(timeout))
        let openBrowser = !noBrowser
        do {
            let token = try await flow.run { url in
                FileHandle.standardError.write(Data("Open this URL to sign in to \(profile.name):\n\n  \(url)\n\n".utf8))
                if openBrowser { BrowserLauncher.open(url) }
            }
            print(Self.signedIn(profile: profile.name, token: token, file: settings.tokenFile))
        } catch {
            throw CLIError("login failed: \(error)")
        }
    }
}

extension LoginCommand {
    static func signedIn(profile: String, token: StoredToken, file: String) -> String {
        let expiry = token.expiresAt.map { " until \(Date(timeIntervalSince1970: $0).formatted(.iso8601))" } ?? ""
        return "Signed in: profile \(profile) has a token from \(token.issuer)\(expiry)\(token.refreshToken == nil ? "" : ", refreshable"), stored in \(file)."
    }
}

/// `logout`: revokes the refresh token where the server offers revocation (RFC 7009) and forgets
/// the profile's tokens.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Revoke and forget an OAuth profile's tokens.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let profile = try OAuthProfileSelection.select(options)
        guard let settings = profile.oauth else {
            throw CLIError("profile `\(profile.name)` uses auth_scheme \(profile.authScheme.rawValue); logout is for `auth_scheme: oauth`")
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let outcome = try await Logout(profile: profile, settings: settings, group: group).run()
        print(outcome)
    }
}

/// `oauth client-metadata`: the client ID metadata document to host at `client_metadata_url`.
struct OAuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "oauth", abstract: "OAuth helpers.", subcommands: [ClientMetadata.self])

    struct ClientMetadata: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "client-metadata",
                                                        abstract: "Print the client ID metadata document to host at the profile's client_metadata_url.")
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let profile = try OAuthProfileSelection.select(options)
            guard let settings = profile.oauth, let url = settings.clientMetadataURL else {
                throw CLIError("profile `\(profile.name)` sets no `oauth.client_metadata_url`: choose the https URL you will host the document at first")
            }
            let redirect = ClientRegistration(http: OAuthHTTPClient(group: MultiThreadedEventLoopGroup.singleton), settings: settings, profileName: profile.name).redirectURIs
            print(ClientRegistration.metadataDocument(clientName: "mcp-auth-proxy (\(profile.name))", redirectURIs: redirect,
                                                      scopes: settings.scopes, clientID: url))
        }
    }
}

/// One profile for the OAuth commands: `--profile`, or the only one.
enum OAuthProfileSelection {
    static func select(_ options: ConfigOptions) throws -> Profile {
        let request = ConfigRequest(configPath: options.config, profileNames: options.profile, environment: ProcessInfo.processInfo.environment)
        let result = ConfigLoader.load(request)
        for diagnostic in result.diagnostics {
            FileHandle.standardError.write(Data((diagnostic.description + "\n").utf8))
        }
        guard let config = result.config else { throw ExitCode.invalidConfiguration }
        guard config.profiles.count == 1, let profile = config.profiles.first else {
            throw CLIError("choose the profile with --profile (\(config.profiles.map(\.name).joined(separator: ", ")))")
        }
        return profile
    }
}

/// A one-line error on stderr and exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Opens a URL in the user's browser by exec (never a shell), and only an https URL or an http
/// one to loopback.
enum BrowserLauncher {
    static func open(_ url: String) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              scheme == "https" || (scheme == "http" && HostName.isLoopback(parsed.host ?? "")) else { return }
        #if os(macOS)
        let candidates = ["/usr/bin/open"]
        #else
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates = path.split(separator: ":").map { "\($0)/xdg-open" }
        #endif
        guard let program = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = [url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
    }
}
