# Builds and runs Arena; docker-compose.yml pairs it with PostgreSQL, Prometheus and Grafana.

# The web page's browser libraries, from the npm registry as src/Host/Web/package-lock.json pins them (scripts/web-assets.sh
# does the same outside Docker).
FROM node:20-bookworm-slim AS web
WORKDIR /web
COPY src/Host/Web/package.json src/Host/Web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The project files first, so that a change in the sources does not download the packages again.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig Arena.sln ./
COPY src/Host/Arena.Host.csproj src/Host/
COPY src/BuildingBlocks/Arena.BuildingBlocks.csproj src/BuildingBlocks/
COPY src/Modules/Sessions/Arena.Modules.Sessions.csproj src/Modules/Sessions/
COPY src/Modules/Sessions.Contracts/Arena.Modules.Sessions.Contracts.csproj src/Modules/Sessions.Contracts/
COPY src/Modules/Messaging/Arena.Modules.Messaging.csproj src/Modules/Messaging/
COPY src/Modules/Providers/Arena.Modules.Providers.csproj src/Modules/Providers/
COPY src/Modules/Providers.Contracts/Arena.Modules.Providers.Contracts.csproj src/Modules/Providers.Contracts/
COPY src/Modules/Messaging.Contracts/Arena.Modules.Messaging.Contracts.csproj src/Modules/Messaging.Contracts/
COPY src/Modules/Votes/Arena.Modules.Votes.csproj src/Modules/Votes/
COPY src/Modules/Votes.Contracts/Arena.Modules.Votes.Contracts.csproj src/Modules/Votes.Contracts/
RUN dotnet restore src/Host/Arena.Host.csproj
COPY src/ src/
COPY --from=web /web/node_modules/markdown-it/dist/browser/ src/Host/wwwroot/lib/markdown-it/
COPY --from=web /web/node_modules/markdown-it/LICENSE src/Host/wwwroot/lib/markdown-it/LICENSE.txt
RUN dotnet publish src/Host/Arena.Host.csproj --configuration Release --no-restore --output /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
# The health check below needs curl, which the runtime image lacks.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /app ./
ENV Urls=http://+:8001
EXPOSE 8001
# The image's unprivileged user (uid 1654).
USER app
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["curl", "-fsS", "http://localhost:8001/health/ready"]
ENTRYPOINT ["dotnet", "Arena.Host.dll"]
