# Builds and runs Arena; docker-compose.yml pairs it with PostgreSQL.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig Arena.sln ./
COPY src/ src/
RUN dotnet publish src/Host/Arena.Host.csproj --configuration Release --output /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV Urls=http://+:8001
EXPOSE 8001
USER app
ENTRYPOINT ["dotnet", "Arena.Host.dll"]
