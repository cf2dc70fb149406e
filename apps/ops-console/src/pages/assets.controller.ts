import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ASSETS } from './assets';

/** `/assets/<name>`: the stylesheet, the chart script and uPlot, from this app (no CDN; the CSP allows 'self' only). */
@Controller('assets')
export class AssetsController {
  @Get(':name')
  asset(@Param('name') name: string, @Req() req: Request, @Res() res: Response): void {
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) {
      res
        .status(404)
        .type('application/problem+json')
        .send(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 }));
      return;
    }
    res.set({ ETag: asset.etag, 'Cache-Control': 'public, max-age=3600' });
    if (req.headers['if-none-match'] === asset.etag) return void res.status(304).end();
    res.status(200).type(asset.type).send(asset.body);
  }
}
