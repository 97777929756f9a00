import { Module } from '@nestjs/common';
import { ConnectAssetsRoute } from './connect-assets.route';
import { BuiltConnectPageFiles, ConnectPageFiles } from './connect-page-files';
import { ConnectPageRenderer } from './connect-page.renderer';
import { ConnectController } from './connect.controller';

/** The browser page at GET /connect (CONNECT_PAGE_ENABLED, CONNECT_PAGE_TITLE). */
@Module({
  controllers: [ConnectController],
  providers: [
    { provide: ConnectPageFiles, useClass: BuiltConnectPageFiles },
    ConnectPageRenderer,
    ConnectAssetsRoute,
  ],
})
export class ConnectModule {}
